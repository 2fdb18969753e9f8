//! The actions S3 defines for policies (AWS Service Authorization Reference, "Actions,
//! resources, and condition keys for Amazon S3", service prefix `s3`). A bucket policy that
//! names an action outside this list is refused, as S3 refuses it.

/// Every `s3:` action name, sorted.
pub const ACTIONS: [&str; 180] = [
    "AbortMultipartUpload", "AllowVendedLogDeliveryForResource",
    "AssociateAccessGrantsIdentityCenter", "BypassGovernanceRetention", "CreateAccessGrant",
    "CreateAccessGrantsInstance", "CreateAccessGrantsLocation", "CreateAccessPoint",
    "CreateAccessPointForObjectLambda", "CreateBucket", "CreateBucketMetadataTableConfiguration",
    "CreateJob", "CreateMultiRegionAccessPoint", "CreateStorageLensGroup", "DeleteAccessGrant",
    "DeleteAccessGrantsInstance", "DeleteAccessGrantsInstanceResourcePolicy",
    "DeleteAccessGrantsLocation", "DeleteAccessPoint", "DeleteAccessPointForObjectLambda",
    "DeleteAccessPointPolicy", "DeleteAccessPointPolicyForObjectLambda", "DeleteBucket",
    "DeleteBucketMetadataTableConfiguration", "DeleteBucketPolicy", "DeleteBucketWebsite",
    "DeleteJobTagging", "DeleteMultiRegionAccessPoint", "DeleteObject", "DeleteObjectAnnotation",
    "DeleteObjectTagging", "DeleteObjectVersion", "DeleteObjectVersionAnnotation",
    "DeleteObjectVersionTagging", "DeleteStorageLensConfiguration",
    "DeleteStorageLensConfigurationTagging", "DeleteStorageLensGroup", "DescribeJob",
    "DescribeMultiRegionAccessPointOperation", "DissociateAccessGrantsIdentityCenter",
    "GetAccelerateConfiguration", "GetAccessGrant", "GetAccessGrantsInstance",
    "GetAccessGrantsInstanceForPrefix", "GetAccessGrantsInstanceResourcePolicy",
    "GetAccessGrantsLocation", "GetAccessPoint", "GetAccessPointConfigurationForObjectLambda",
    "GetAccessPointForObjectLambda", "GetAccessPointPolicy", "GetAccessPointPolicyForObjectLambda",
    "GetAccessPointPolicyStatus", "GetAccessPointPolicyStatusForObjectLambda",
    "GetAccountPublicAccessBlock", "GetAnalyticsConfiguration", "GetBucketAbac", "GetBucketAcl",
    "GetBucketCORS", "GetBucketLocation", "GetBucketLogging", "GetBucketMetadataTableConfiguration",
    "GetBucketNotification", "GetBucketObjectLockConfiguration", "GetBucketOwnershipControls",
    "GetBucketPolicy", "GetBucketPolicyStatus", "GetBucketPublicAccessBlock",
    "GetBucketRequestPayment", "GetBucketTagging", "GetBucketVersioning", "GetBucketWebsite",
    "GetDataAccess", "GetEncryptionConfiguration", "GetIntelligentTieringConfiguration",
    "GetInventoryConfiguration", "GetJobTagging", "GetLifecycleConfiguration",
    "GetMetricsConfiguration", "GetMultiRegionAccessPoint", "GetMultiRegionAccessPointPolicy",
    "GetMultiRegionAccessPointPolicyStatus", "GetMultiRegionAccessPointRoutes", "GetObject",
    "GetObjectAcl", "GetObjectAnnotation", "GetObjectAttributes", "GetObjectLegalHold",
    "GetObjectRetention", "GetObjectTagging", "GetObjectTorrent", "GetObjectVersion",
    "GetObjectVersionAcl", "GetObjectVersionAnnotation", "GetObjectVersionAnnotationForReplication",
    "GetObjectVersionAttributes", "GetObjectVersionForReplication", "GetObjectVersionTagging",
    "GetObjectVersionTorrent", "GetReplicationConfiguration", "GetStorageLensConfiguration",
    "GetStorageLensConfigurationTagging", "GetStorageLensDashboard", "GetStorageLensGroup",
    "InitiateReplication", "ListAccessGrants", "ListAccessGrantsInstances",
    "ListAccessGrantsLocations", "ListAccessPoints", "ListAccessPointsForObjectLambda",
    "ListAllMyBuckets", "ListBucket", "ListBucketMultipartUploads", "ListBucketVersions",
    "ListCallerAccessGrants", "ListJobs", "ListMultiRegionAccessPoints", "ListMultipartUploadParts",
    "ListObjectAnnotations", "ListObjectVersionAnnotations", "ListStorageLensConfigurations",
    "ListStorageLensGroups", "ListTagsForResource", "ObjectOwnerOverrideToBucketOwner",
    "PauseReplication", "PutAccelerateConfiguration", "PutAccessGrantsInstanceResourcePolicy",
    "PutAccessPointConfigurationForObjectLambda", "PutAccessPointPolicy",
    "PutAccessPointPolicyForObjectLambda", "PutAccessPointPublicAccessBlock",
    "PutAccountPublicAccessBlock", "PutAnalyticsConfiguration", "PutBucketAbac", "PutBucketAcl",
    "PutBucketCORS", "PutBucketLogging", "PutBucketNotification",
    "PutBucketObjectLockConfiguration", "PutBucketOwnershipControls", "PutBucketPolicy",
    "PutBucketPublicAccessBlock", "PutBucketRequestPayment", "PutBucketTagging",
    "PutBucketVersioning", "PutBucketWebsite", "PutEncryptionConfiguration",
    "PutIntelligentTieringConfiguration", "PutInventoryConfiguration", "PutJobTagging",
    "PutLifecycleConfiguration", "PutMetricsConfiguration", "PutMultiRegionAccessPointPolicy",
    "PutObject", "PutObjectAcl", "PutObjectAnnotation", "PutObjectLegalHold", "PutObjectRetention",
    "PutObjectTagging", "PutObjectVersionAcl", "PutObjectVersionAnnotation",
    "PutObjectVersionTagging", "PutReplicationConfiguration", "PutStorageLensConfiguration",
    "PutStorageLensConfigurationTagging", "ReplicateDelete", "ReplicateObject",
    "ReplicateObjectAnnotation", "ReplicateTags", "RestoreObject",
    "SubmitMultiRegionAccessPointRoutes", "TagResource", "UntagResource",
    "UpdateAccessGrantsLocation", "UpdateBucketMetadataAnnotationTableConfiguration",
    "UpdateBucketMetadataInventoryTableConfiguration",
    "UpdateBucketMetadataJournalTableConfiguration", "UpdateJobPriority", "UpdateJobStatus",
    "UpdateObjectEncryption", "UpdateStorageLensGroup",
];

/// Whether a policy's action (`s3:Get*`, `s3:getobject`, `*`) names at least one S3 action.
pub fn known(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let Some((service, name)) = action.split_once(':') else { return false };
    service.eq_ignore_ascii_case("s3") && ACTIONS.iter().any(|a| wildcard_match(name, a))
}

/// IAM action matching: case-insensitive, `*` any run, `?` one character.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.to_ascii_lowercase().chars().collect(), name.to_ascii_lowercase().chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_actions_and_patterns() {
        assert!(ACTIONS.windows(2).all(|w| w[0] < w[1]));
        for ok in ["s3:GetObject", "S3:getobject", "s3:Get*", "s3:*", "*", "s3:PutObject?cl", "s3:ListBucket"] {
            assert!(known(ok), "{ok}");
        }
        for bad in ["s3:NoSuchAction", "s3:ListObjects", "s3:GetObjects", "ec2:RunInstances", "s3", "s3:Zz*"] {
            assert!(!known(bad), "{bad}");
        }
    }
}
