//! aws-sdk-rust against `edgeward cloud serve`: the same calls the platform will make,
//! unchanged but for the endpoint and credentials.

mod common;
use common::*;

use aws_credential_types::Credentials;
use aws_sdk_iam::config::{BehaviorVersion, Region};

struct Clients {
    sts: aws_sdk_sts::Client,
    iam: aws_sdk_iam::Client,
    kms: aws_sdk_kms::Client,
    secrets: aws_sdk_secretsmanager::Client,
    sqs: aws_sdk_sqs::Client,
    s3: aws_sdk_s3::Client,
}

/// One SDK client: every service crate has its own `Config`, built the same way.
/// Extra settings follow as `setting(value)`.
macro_rules! sdk_client {
    ($sdk:ident, $endpoint:expr, $creds:expr, $http:expr $(, $setting:ident($value:expr))*) => {
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .endpoint_url($endpoint)
                .credentials_provider($creds.clone())
                .http_client($http.clone())
                $(.$setting($value))*
                .build(),
        )
    };
}

fn clients(endpoint: &str, key: &str, secret: &str, token: Option<String>) -> Clients {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let creds = Credentials::new(key, secret, token, None, "edgeward-test");
    Clients {
        sts: sdk_client!(aws_sdk_sts, endpoint, creds, http),
        iam: sdk_client!(aws_sdk_iam, endpoint, creds, http),
        kms: sdk_client!(aws_sdk_kms, endpoint, creds, http),
        secrets: sdk_client!(aws_sdk_secretsmanager, endpoint, creds, http),
        sqs: sdk_client!(aws_sdk_sqs, endpoint, creds, http),
        // Path-style: the endpoint is an IP address, with no DNS for `<bucket>.127.0.0.1`.
        s3: sdk_client!(aws_sdk_s3, endpoint, creds, http, force_path_style(true)),
    }
}

fn root(server: &Server, account: &str) -> Clients {
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(server.data_dir.join("root-credentials.json")).unwrap()).unwrap();
    let c = &all[account];
    clients(&server.endpoint(), c["accessKeyId"].as_str().unwrap(), c["secretAccessKey"].as_str().unwrap(), None)
}


/// A new IAM user in `admin`'s account with one inline policy, and clients acting as it.
async fn user_with_policy(server: &Server, admin: &Clients, name: &str, policy: &str) -> Clients {
    admin.iam.create_user().user_name(name).send().await.unwrap();
    admin.iam.put_user_policy().user_name(name).policy_name("inline").policy_document(policy).send().await.unwrap();
    let key = admin.iam.create_access_key().user_name(name).send().await.unwrap();
    let key = key.access_key().unwrap();
    clients(&server.endpoint(), key.access_key_id(), key.secret_access_key(), None)
}

/// Clients acting as a session of `role_arn` assumed by `caller`, with an optional session tag.
async fn assume(server: &Server, caller: &Clients, role_arn: &str, session: &str, tag: Option<(&str, &str)>) -> Clients {
    let mut req = caller.sts.assume_role().role_arn(role_arn).role_session_name(session);
    if let Some((k, v)) = tag {
        req = req.tags(aws_sdk_sts::types::Tag::builder().key(k).value(v).build().unwrap());
    }
    let out = req.send().await.unwrap();
    let c = out.credentials().unwrap();
    assert!(c.access_key_id().starts_with("ASIA"), "temporary keys start with ASIA: {}", c.access_key_id());
    clients(&server.endpoint(), c.access_key_id(), c.secret_access_key(), Some(c.session_token().to_string()))
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_creates_roles_assumes_across_accounts_and_is_denied_with_aws_errors() {
    let server = Server::start("sdk");
    let customer = root(&server, "222222222222");
    let vendor = root(&server, "111111111111");

    let id = customer.sts.get_caller_identity().send().await.unwrap();
    assert_eq!(id.arn(), Some("arn:aws:iam::222222222222:root"));
    assert_eq!(id.account(), Some("222222222222"));

    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#;
    let role = customer.iam.create_role().role_name("edge-data").assume_role_policy_document(trust).send().await.unwrap();
    let role_arn = role.role().unwrap().arn().to_string();
    assert_eq!(role_arn, "arn:aws:iam::222222222222:role/edge-data");
    customer
        .iam
        .put_role_policy()
        .role_name("edge-data")
        .policy_name("read-own-role")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::222222222222:role/edge-data"}]}"#)
        .send()
        .await
        .unwrap();

    // A malformed policy is refused with IAM's code.
    let err = customer.iam.create_role().role_name("bad").assume_role_policy_document("{").send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("MalformedPolicyDocument"));

    // The vendor account's root assumes the customer role with a session tag.
    let assumed = vendor
        .sts
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("edgeward-job-session-a")
        .tags(aws_sdk_sts::types::Tag::builder().key("edgeward:edge:instance:name").value("a").build().unwrap())
        .send()
        .await;
    // The root user cannot assume roles (AWS rule): the vendor needs an IAM identity.
    let err = assumed.unwrap_err().into_service_error();
    assert_eq!(err.meta().code(), Some("AccessDenied"));

    let edge = user_with_policy(
        &server,
        &vendor,
        "edge-a",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"*"}]}"#,
    )
    .await;
    let session = assume(&server, &edge, &role_arn, "edgeward-job-session-a", Some(("edgeward:edge:instance:name", "a"))).await;
    let id = session.sts.get_caller_identity().send().await.unwrap();
    assert!(id.user_id().unwrap().starts_with("AROA"));
    let who = session.sts.get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn(), Some("arn:aws:sts::222222222222:assumed-role/edge-data/edgeward-job-session-a"));
    let got = session.iam.get_role().role_name("edge-data").send().await.unwrap();
    assert_eq!(got.role().unwrap().arn(), role_arn);

    // Anything else is denied, with AWS's code and message.
    let denied = session.iam.create_user().user_name("x").send().await.unwrap_err().into_service_error();
    assert_eq!(denied.meta().code(), Some("AccessDenied"));
    let msg = denied.meta().message().unwrap_or_default();
    assert!(msg.contains("is not authorized to perform: iam:CreateUser"), "{msg}");

    // Unknown keys are refused.
    let stranger = clients(&server.endpoint(), "AKIAAAAAAAAAAAAAAAAA", "x", None);
    let err = stranger.sts.get_caller_identity().send().await.unwrap_err().into_service_error();
    assert_eq!(err.meta().code(), Some("InvalidClientTokenId"));
}

/// The seed story's secrets step with aws-sdk-rust: the edge (vendor account) assumes a
/// customer role tagged `edgeward:edge:customer-provided=true`; the role reads one secret
/// encrypted under the customer's key; the customer's kill switch (disabling the key) cuts
/// access at once, and re-enabling restores it.
#[tokio::test(flavor = "multi_thread")]
async fn sdk_seed_story_secret_through_customer_role_and_key() {
    let server = Server::start("sdk-seed");
    let customer = root(&server, "222222222222");
    let vendor = root(&server, "111111111111");

    // Customer: a key whose policy delegates to IAM, a secret under it, a tagged role.
    let key = customer.kms.create_key().description("customer key").send().await.unwrap();
    let key_arn = key.key_metadata().unwrap().arn().unwrap().to_string();
    let secret = customer
        .secrets
        .create_secret()
        .name("warehouse/password")
        .secret_string("s3cr3t-value")
        .kms_key_id(&key_arn)
        .send()
        .await
        .unwrap();
    let secret_arn = secret.arn().unwrap().to_string();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:user/edgeward-edge-*"}}}]}"#;
    customer
        .iam
        .create_role()
        .role_name("edgeward-secrets")
        .assume_role_policy_document(trust)
        .tags(aws_sdk_iam::types::Tag::builder().key("edgeward:edge:customer-provided").value("true").build().unwrap())
        .send()
        .await
        .unwrap();
    let permissions = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"],"Resource":"{secret_arn}"}},
            {{"Effect":"Allow","Action":"kms:Decrypt","Resource":"{key_arn}"}}]}}"#
    );
    customer.iam.put_role_policy().role_name("edgeward-secrets").policy_name("read-one-secret").policy_document(permissions).send().await.unwrap();

    // Vendor: the edge identity may assume only customer-provided roles.
    let edge = user_with_policy(
        &server,
        &vendor,
        "edgeward-edge-a",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/edgeward:edge:customer-provided":"true"}}}]}"#,
    )
    .await;
    let job = assume(
        &server,
        &edge,
        "arn:aws:iam::222222222222:role/edgeward-secrets",
        "edgeward-job-session-a",
        Some(("edgeward:edge:instance:name", "a")),
    )
    .await;

    let value = job.secrets.get_secret_value().secret_id(&secret_arn).send().await.unwrap();
    assert_eq!(value.secret_string(), Some("s3cr3t-value"));

    // The kill switch: a disabled key makes the secret unreadable at once.
    customer.kms.disable_key().key_id(&key_arn).send().await.unwrap();
    let err = job.secrets.get_secret_value().secret_id(&secret_arn).send().await.unwrap_err().into_service_error();
    assert_eq!(err.meta().code(), Some("DecryptionFailure"), "{err:?}");
    customer.kms.enable_key().key_id(&key_arn).send().await.unwrap();
    let value = job.secrets.get_secret_value().secret_id(&secret_arn).send().await.unwrap();
    assert_eq!(value.secret_string(), Some("s3cr3t-value"));

    // Only the exact secret: another one is denied with the JSON services' code.
    customer.secrets.create_secret().name("other").secret_string("x").kms_key_id(&key_arn).send().await.unwrap();
    let err = job.secrets.get_secret_value().secret_id("other").send().await.unwrap_err().into_service_error();
    assert_eq!(err.meta().code(), Some("AccessDeniedException"), "{err:?}");

    // Direct use of the key by the role is allowed by its policy; by the vendor's root it is not
    // (the key policy delegates only to the customer account's IAM).
    let blob = customer.kms.encrypt().key_id(&key_arn).plaintext(aws_sdk_kms::primitives::Blob::new("p")).send().await.unwrap();
    let blob = blob.ciphertext_blob().unwrap().clone();
    let err = vendor.kms.decrypt().ciphertext_blob(blob).send().await.unwrap_err().into_service_error();
    assert_eq!(err.meta().code(), Some("AccessDeniedException"), "{err:?}");
}

/// The seed story's dispatch step with aws-sdk-rust (awsJson 1.0 with query-compatible
/// errors): the vendor's queue lets only the customer's edge role receive and delete; the edge
/// holds a lease, extends it, deletes when done; a missing queue is the SDK's typed error.
#[tokio::test(flavor = "multi_thread")]
async fn sdk_dispatch_through_a_cross_account_queue() {
    let server = Server::start("sdk-sqs");
    let vendor = root(&server, "111111111111");
    let customer = root(&server, "222222222222");

    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}"#;
    customer.iam.create_role().role_name("edgeward-edge-a").assume_role_policy_document(trust).send().await.unwrap();
    customer
        .iam
        .put_role_policy()
        .role_name("edgeward-edge-a")
        .policy_name("jobs")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:DeleteMessage","sqs:ChangeMessageVisibility","sqs:GetQueueUrl"],"Resource":"arn:aws:sqs:us-east-1:111111111111:edge-a-jobs"}]}"#)
        .send()
        .await
        .unwrap();

    let queue = vendor.sqs.create_queue().queue_name("edge-a-jobs").send().await.unwrap();
    let url = queue.queue_url().unwrap().to_string();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":["sqs:ReceiveMessage","sqs:DeleteMessage","sqs:ChangeMessageVisibility","sqs:GetQueueUrl"],"Resource":"arn:aws:sqs:us-east-1:111111111111:edge-a-jobs","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::222222222222:role/edgeward-edge-*"}}}]}"#;
    vendor
        .sqs
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(aws_sdk_sqs::types::QueueAttributeName::Policy, policy)
        .send()
        .await
        .unwrap();
    let sent = vendor.sqs.send_message().queue_url(&url).message_body(r#"{"job":"j-1"}"#).send().await.unwrap();
    assert!(sent.message_id().is_some());

    // A customer user that is not an edge role is refused by the queue policy.
    let analyst = user_with_policy(
        &server,
        &customer,
        "analyst",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#,
    )
    .await;
    let err = analyst.sqs.receive_message().queue_url(&url).send().await.unwrap_err().into_service_error();
    assert_eq!(err.meta().code(), Some("AccessDenied"), "{err:?}");

    // The edge role receives with a lease, extends it and deletes.
    let host = user_with_policy(
        &server,
        &customer,
        "edge-host",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
    )
    .await;
    let edge = assume(&server, &host, "arn:aws:iam::222222222222:role/edgeward-edge-a", "edge-a", None).await;
    let got = edge.sqs.receive_message().queue_url(&url).wait_time_seconds(1).visibility_timeout(30).send().await.unwrap();
    let msg = &got.messages()[0];
    assert_eq!(msg.body(), Some(r#"{"job":"j-1"}"#));
    assert_eq!(msg.md5_of_body(), sent.md5_of_message_body());
    let handle = msg.receipt_handle().unwrap();
    edge.sqs.change_message_visibility().queue_url(&url).receipt_handle(handle).visibility_timeout(60).send().await.unwrap();
    edge.sqs.delete_message().queue_url(&url).receipt_handle(handle).send().await.unwrap();
    // The edge may not send: the queue is the vendor's dispatch channel.
    let err = edge.sqs.send_message().queue_url(&url).message_body("x").send().await.unwrap_err().into_service_error();
    assert_eq!(err.meta().code(), Some("AccessDenied"), "{err:?}");

    // A missing queue is the SDK's typed error.
    let err = vendor.sqs.get_queue_url().queue_name("no-such-queue").send().await.unwrap_err().into_service_error();
    assert!(err.is_queue_does_not_exist(), "{err:?}");
}
