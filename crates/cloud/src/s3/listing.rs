//! Listings: ListObjects (v1), ListObjectsV2, ListObjectVersions.

use super::request::S3Request;
use super::Reply;
use crate::call::Call;
use crate::error::AwsError;
use crate::state::State;

pub fn list_objects(_call: &mut Call<'_>, _st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    Err(AwsError::new(501, "NotImplemented", format!("edgeward does not implement {} yet", req.op)))
}

pub fn list_object_versions(_call: &mut Call<'_>, _st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    Err(AwsError::new(501, "NotImplemented", format!("edgeward does not implement {} yet", req.op)))
}
