//! aws-sdk-rust against `edgeward cloud serve`: the same calls the platform will make,
//! unchanged but for the endpoint and credentials.

mod common;
use common::*;

use aws_credential_types::Credentials;
use aws_sdk_iam::config::{BehaviorVersion, Region};
use aws_sdk_s3::config::interceptors::{BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut, BeforeTransmitInterceptorContextRef};
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::BoxError;
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier, ServerSideEncryption};
use std::sync::{Arc, Mutex};

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

/// The access key id and secret of `account`'s root user.
fn root_keys(server: &Server, account: &str) -> (String, String) {
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(server.data_dir.join("root-credentials.json")).unwrap()).unwrap();
    let c = &all[account];
    (c["accessKeyId"].as_str().unwrap().to_string(), c["secretAccessKey"].as_str().unwrap().to_string())
}

fn root(server: &Server, account: &str) -> Clients {
    let (key, secret) = root_keys(server, account);
    clients(&server.endpoint(), &key, &secret, None)
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

// ---------------------------------------------------------------------------------------
// S3 with aws-sdk-s3: the SDK's default checksums (a CRC32 header for in-memory bodies; for
// bodies the SDK streams, aws-chunked with a CRC32 trailer: chunk-signed to an http endpoint,
// unsigned to an https one), ranges, listing pages, multipart, presigned URLs, SSE-KMS, typed
// errors.

/// Records the headers of the last request the SDK sent and of the response it received,
/// to show which wire path a call took.
#[derive(Clone, Debug, Default)]
struct Wire(Arc<Mutex<(Headers, Headers)>>);

type Headers = Vec<(String, String)>;

impl Wire {
    fn sent(&self, name: &str) -> Option<String> {
        self.0.lock().unwrap().0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
    }

    fn received(&self, name: &str) -> Option<String> {
        self.0.lock().unwrap().1.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
    }
}

impl Intercept for Wire {
    fn name(&self) -> &'static str {
        "Wire"
    }

    fn read_before_transmit(&self, ctx: &BeforeTransmitInterceptorContextRef<'_>, _: &RuntimeComponents, _: &mut ConfigBag) -> Result<(), BoxError> {
        self.0.lock().unwrap().0 = ctx.request().headers().iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Ok(())
    }

    fn read_before_deserialization(&self, ctx: &BeforeDeserializationInterceptorContextRef<'_>, _: &RuntimeComponents, _: &mut ConfigBag) -> Result<(), BoxError> {
        self.0.lock().unwrap().1 = ctx.response().headers().iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Ok(())
    }
}

/// aws-sdk-s3 streams with `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (unsigned aws-chunked, the
/// checksum in a trailer) when the endpoint is https, as AWS's is, and signs every chunk when
/// it is http. edgeward serves plain http, so to send the https shape this client-level
/// interceptor shows the SDK an https URL while it decides and signs (client interceptors run
/// before the SDK's own operation interceptors; the scheme is not signed) and restores http
/// before the request goes out. Tests assert the `x-amz-content-sha256` that was sent.
#[derive(Debug)]
struct AsIfTls;

impl Intercept for AsIfTls {
    fn name(&self) -> &'static str {
        "AsIfTls"
    }

    fn modify_before_signing(&self, ctx: &mut BeforeTransmitInterceptorContextMut<'_>, _: &RuntimeComponents, _: &mut ConfigBag) -> Result<(), BoxError> {
        let uri = ctx.request().uri().replacen("http://", "https://", 1);
        ctx.request_mut().set_uri(uri)?;
        Ok(())
    }

    fn modify_before_transmit(&self, ctx: &mut BeforeTransmitInterceptorContextMut<'_>, _: &RuntimeComponents, _: &mut ConfigBag) -> Result<(), BoxError> {
        let uri = ctx.request().uri().replacen("https://", "http://", 1);
        ctx.request_mut().set_uri(uri)?;
        Ok(())
    }
}

/// An S3 client for `account`'s root that sends what the SDK sends to an https endpoint.
fn s3_as_if_tls(server: &Server, account: &str) -> aws_sdk_s3::Client {
    let (key, secret) = root_keys(server, account);
    let creds = Credentials::new(key, secret, None, None, "edgeward-test");
    let http = aws_smithy_http_client::Builder::new().build_http();
    sdk_client!(aws_sdk_s3, server.endpoint(), creds, http, force_path_style(true), interceptor(AsIfTls))
}

/// CRC-32 (ISO-HDLC, S3's `CRC32`), independent of the SDK's.
fn crc32(data: &[u8]) -> u32 {
    let table: Vec<u32> = (0..256u32).map(|i| (0..8).fold(i, |c, _| if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 })).collect();
    !data.iter().fold(!0u32, |c, &b| table[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8))
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            out.push(if i <= c.len() { A[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

/// `x-amz-checksum-crc32` of `data`.
fn crc32_b64(data: &[u8]) -> String {
    base64(&crc32(data).to_be_bytes())
}

/// Deterministic bytes that are not periodic at any chunk or part size used here.
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// A directory for files the SDK reads as streams (no in-memory bytes, so it chooses
/// aws-chunked); removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("edgeward-sdk-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, data: &[u8]) -> std::path::PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, data).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn read_all(body: ByteStream) -> Vec<u8> {
    body.collect().await.expect("the body (and the SDK's checksum validation of it)").into_bytes().to_vec()
}

/// One plain HTTP/1.1 request to an `http://host:port/path?query` URL (for presigned URLs):
/// status, headers, body (a chunked transfer-coding is decoded).
fn http(url: &str, method: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (authority, target) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(authority).expect("connect");
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        if !k.eq_ignore_ascii_case("host") && !k.eq_ignore_ascii_case("content-length") {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).expect("a status line");
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())).collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked")) {
        let (mut out, mut rest) = (Vec::new(), &body[..]);
        loop {
            let eol = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap().split(';').next().unwrap().trim(), 16).unwrap();
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
            rest = &rest[eol + 2 + size + 2..];
        }
        body = out;
    }
    (status, headers, body)
}

/// Objects end to end: the SDK's default CRC32 both as a header (in-memory body) and as an
/// aws-chunked trailer (streamed body, signed and unsigned), explicit SHA-256 and CRC32C,
/// GetObject with checksum mode (and the SDK's own validation of the body), empty objects,
/// keys that need encoding, a wrong checksum, ranges, HeadObject, ListObjectsV2 pages,
/// DeleteObjects, and the typed errors for a missing key.
#[tokio::test(flavor = "multi_thread")]
async fn sdk_s3_objects_checksums_ranges_listing_and_errors() {
    let server = Server::start("sdk-s3");
    let scratch = Scratch::new("s3");
    let customer = root(&server, "222222222222");
    let s3 = &customer.s3;
    let bucket = "edge-data";
    s3.create_bucket().bucket(bucket).send().await.unwrap();

    // The default, in-memory: the SDK computes CRC32 and sends it as a header.
    let data = pattern(100_000, 1);
    let wire = Wire::default();
    let put = s3
        .put_object()
        .bucket(bucket)
        .key("in-memory.bin")
        .content_type("application/x-edgeward")
        .metadata("job", "j-1")
        .body(ByteStream::from(data.clone()))
        .customize()
        .interceptor(wire.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(wire.sent("x-amz-checksum-crc32"), Some(crc32_b64(&data)), "the SDK sends its CRC32 as a header");
    assert_eq!(wire.sent("content-encoding"), None);
    assert_eq!(put.checksum_crc32(), Some(crc32_b64(&data).as_str()));
    let etag = put.e_tag().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.len() == 34, "{etag}");

    // The default, streamed: aws-chunked with the CRC32 in a trailer. Over plain http the
    // Rust SDK signs every chunk and the trailer (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER).
    let streamed = pattern(200_000, 2); // three 64 KiB chunks and a short one
    let wire = Wire::default();
    let put = s3
        .put_object()
        .bucket(bucket)
        .key("streamed.bin")
        .body(ByteStream::from_path(scratch.file("streamed.bin", &streamed)).await.unwrap())
        .customize()
        .interceptor(wire.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(wire.sent("content-encoding").as_deref(), Some("aws-chunked"));
    assert_eq!(wire.sent("x-amz-content-sha256").as_deref(), Some("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"));
    assert_eq!(wire.sent("x-amz-trailer").as_deref(), Some("x-amz-checksum-crc32"));
    assert_eq!(wire.sent("x-amz-decoded-content-length"), Some(streamed.len().to_string()));
    assert_eq!(put.checksum_crc32(), Some(crc32_b64(&streamed).as_str()), "the trailer's CRC32 is the object's");

    // The same streamed default as the SDK sends it to AWS (https): unsigned aws-chunked
    // with the CRC32 trailer.
    let tls = s3_as_if_tls(&server, "222222222222");
    let wire = Wire::default();
    let put = tls
        .put_object()
        .bucket(bucket)
        .key("streamed-unsigned.bin")
        .body(ByteStream::from_path(scratch.file("streamed-unsigned.bin", &streamed)).await.unwrap())
        .customize()
        .interceptor(wire.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(wire.sent("x-amz-content-sha256").as_deref(), Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER"));
    assert_eq!(wire.sent("content-encoding").as_deref(), Some("aws-chunked"));
    assert_eq!(wire.sent("x-amz-trailer").as_deref(), Some("x-amz-checksum-crc32"));
    assert_eq!(put.checksum_crc32(), Some(crc32_b64(&streamed).as_str()));

    // Each reads back byte-exact with the CRC32 the SDK computed; the response carries the
    // checksum header, so the SDK validates the body against it as it reads.
    for (key, bytes) in [("in-memory.bin", &data), ("streamed.bin", &streamed), ("streamed-unsigned.bin", &streamed)] {
        let wire = Wire::default();
        let got = s3.get_object().bucket(bucket).key(key).checksum_mode(ChecksumMode::Enabled).customize().interceptor(wire.clone()).send().await.unwrap();
        assert_eq!(got.checksum_crc32(), Some(crc32_b64(bytes).as_str()), "{key}");
        assert_eq!(got.checksum_type(), Some(&ChecksumType::FullObject), "{key}");
        assert_eq!(wire.received("x-amz-checksum-crc32"), Some(crc32_b64(bytes)), "{key}: the SDK validates against this");
        assert_eq!(got.content_length(), Some(bytes.len() as i64));
        assert_eq!(&read_all(got.body).await, bytes, "{key}");
    }

    // Explicit algorithms, in memory (header) and streamed (trailer).
    for (algorithm, header) in [(ChecksumAlgorithm::Sha256, "x-amz-checksum-sha256"), (ChecksumAlgorithm::Crc32C, "x-amz-checksum-crc32c")] {
        let key = format!("explicit-{}.bin", algorithm.as_str());
        let bytes = pattern(70_000, 3);
        let wire = Wire::default();
        let put = s3
            .put_object()
            .bucket(bucket)
            .key(&key)
            .checksum_algorithm(algorithm.clone())
            .body(ByteStream::from(bytes.clone()))
            .customize()
            .interceptor(wire.clone())
            .send()
            .await
            .unwrap();
        let sent = wire.sent(header).unwrap_or_else(|| panic!("the SDK sends {header}"));
        assert_eq!(wire.sent("x-amz-checksum-crc32"), None);
        let echoed = match algorithm {
            ChecksumAlgorithm::Sha256 => put.checksum_sha256(),
            _ => put.checksum_crc32_c(),
        };
        assert_eq!(echoed, Some(sent.as_str()), "{key}");

        let streamed_key = format!("explicit-{}-streamed.bin", algorithm.as_str());
        let wire = Wire::default();
        s3.put_object()
            .bucket(bucket)
            .key(&streamed_key)
            .checksum_algorithm(algorithm.clone())
            .body(ByteStream::from_path(scratch.file(&streamed_key, &bytes)).await.unwrap())
            .customize()
            .interceptor(wire.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(wire.sent("x-amz-trailer").as_deref(), Some(header));

        for key in [&key, &streamed_key] {
            let wire = Wire::default();
            let got = s3.get_object().bucket(bucket).key(key).checksum_mode(ChecksumMode::Enabled).customize().interceptor(wire.clone()).send().await.unwrap();
            let returned = match algorithm {
                ChecksumAlgorithm::Sha256 => got.checksum_sha256(),
                _ => got.checksum_crc32_c(),
            };
            assert_eq!(returned, Some(sent.as_str()), "{key}");
            assert_eq!(wire.received(header), Some(sent.clone()), "{key}");
            assert_eq!(read_all(got.body).await, bytes, "{key}");
        }
    }

    // Empty objects, in memory and streamed (aws-chunked with only the final chunk).
    for (key, body) in [
        ("empty.bin", ByteStream::from_static(b"")),
        ("empty-streamed.bin", ByteStream::from_path(scratch.file("empty", b"")).await.unwrap()),
    ] {
        let put = s3.put_object().bucket(bucket).key(key).body(body).send().await.unwrap();
        assert_eq!(put.checksum_crc32(), Some("AAAAAA=="), "{key}");
        let got = s3.get_object().bucket(bucket).key(key).checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
        assert_eq!(got.content_length(), Some(0), "{key}");
        assert!(read_all(got.body).await.is_empty(), "{key}");
    }

    // Keys that need encoding in the path and in listings.
    let odd = "odd/a b+c%25~é,(1)!*'=&$@;:.txt";
    s3.put_object().bucket(bucket).key(odd).body(ByteStream::from_static(b"odd")).send().await.unwrap();
    let got = s3.get_object().bucket(bucket).key(odd).send().await.unwrap();
    assert_eq!(read_all(got.body).await, b"odd");
    let page = s3.list_objects_v2().bucket(bucket).prefix("odd/").send().await.unwrap();
    assert_eq!(page.contents().iter().filter_map(|o| o.key()).collect::<Vec<_>>(), [odd]);
    s3.delete_object().bucket(bucket).key(odd).send().await.unwrap();

    // A checksum that does not match the bytes is refused (the SDK sends a value it is
    // given as is).
    let err = s3
        .put_object()
        .bucket(bucket)
        .key("bad-digest.bin")
        .checksum_crc32(crc32_b64(b"other bytes"))
        .body(ByteStream::from_static(b"these bytes"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.meta().code(), Some("BadDigest"), "{err:?}");
    let err = s3.head_object().bucket(bucket).key("bad-digest.bin").send().await.unwrap_err().into_service_error();
    assert!(err.is_not_found(), "a refused upload stores nothing: {err:?}");

    // Ranges.
    let got = s3.get_object().bucket(bucket).key("in-memory.bin").range("bytes=1000-1999").send().await.unwrap();
    assert_eq!(got.content_range(), Some("bytes 1000-1999/100000"));
    assert_eq!(got.content_length(), Some(1000));
    assert_eq!(read_all(got.body).await, &data[1000..2000]);
    let got = s3.get_object().bucket(bucket).key("in-memory.bin").range("bytes=-10").send().await.unwrap();
    assert_eq!(got.content_range(), Some("bytes 99990-99999/100000"));
    assert_eq!(read_all(got.body).await, &data[99_990..]);
    let got = s3.get_object().bucket(bucket).key("streamed.bin").range("bytes=199990-").send().await.unwrap();
    assert_eq!(got.content_range(), Some("bytes 199990-199999/200000"));
    assert_eq!(read_all(got.body).await, &streamed[199_990..]);

    // HeadObject.
    let head = s3.head_object().bucket(bucket).key("in-memory.bin").checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
    assert_eq!(head.content_length(), Some(100_000));
    assert_eq!(head.e_tag(), Some(etag.as_str()));
    assert_eq!(head.content_type(), Some("application/x-edgeward"));
    assert_eq!(head.metadata().and_then(|m| m.get("job")).map(String::as_str), Some("j-1"));
    assert_eq!(head.checksum_crc32(), Some(crc32_b64(&data).as_str()));
    assert!(head.last_modified().is_some());

    // ListObjectsV2, page by page.
    let keys: Vec<String> = (0..7).map(|i| format!("list/k{i:02}")).collect();
    for k in keys.iter().rev() {
        s3.put_object().bucket(bucket).key(k).body(ByteStream::from(k.clone().into_bytes())).send().await.unwrap();
    }
    let mut pages = s3.list_objects_v2().bucket(bucket).prefix("list/").max_keys(2).into_paginator().send();
    let (mut listed, mut sizes, mut truncated) = (Vec::new(), Vec::new(), Vec::new());
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        sizes.push(page.key_count().unwrap());
        truncated.push(page.is_truncated().unwrap());
        assert_eq!(page.next_continuation_token().is_some(), page.is_truncated() == Some(true));
        for o in page.contents() {
            assert_eq!(o.size(), Some(o.key().unwrap().len() as i64));
            listed.push(o.key().unwrap().to_string());
        }
    }
    assert_eq!(listed, keys, "every key once, in order");
    assert_eq!(sizes, [2, 2, 2, 1]);
    assert_eq!(truncated, [true, true, true, false]);
    let top = s3.list_objects_v2().bucket(bucket).delimiter("/").send().await.unwrap();
    let prefixes: Vec<&str> = top.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(prefixes, ["list/"]);
    assert!(top.contents().iter().all(|o| !o.key().unwrap().contains('/')));
    assert!(top.contents().iter().any(|o| o.key() == Some("streamed.bin")));

    // DeleteObjects (the SDK adds the body checksum the operation requires); a missing key
    // counts as deleted.
    let mut ids: Vec<ObjectIdentifier> = keys.iter().map(|k| ObjectIdentifier::builder().key(k).build().unwrap()).collect();
    ids.push(ObjectIdentifier::builder().key("list/never-was").build().unwrap());
    let deleted = s3
        .delete_objects()
        .bucket(bucket)
        .delete(Delete::builder().set_objects(Some(ids)).build().unwrap())
        .send()
        .await
        .unwrap();
    assert!(deleted.errors().is_empty(), "{:?}", deleted.errors());
    let mut gone: Vec<&str> = deleted.deleted().iter().filter_map(|d| d.key()).collect();
    gone.sort();
    assert_eq!(gone.len(), 8);
    assert_eq!(gone[..7], keys.iter().map(String::as_str).collect::<Vec<_>>()[..]);
    let left = s3.list_objects_v2().bucket(bucket).prefix("list/").send().await.unwrap();
    assert_eq!(left.key_count(), Some(0));
    assert!(left.contents().is_empty());

    // Missing keys and buckets are the SDK's typed errors.
    let err = s3.get_object().bucket(bucket).key("list/k00").send().await.unwrap_err().into_service_error();
    assert!(err.is_no_such_key(), "{err:?}");
    let err = s3.head_object().bucket(bucket).key("list/k00").send().await.unwrap_err().into_service_error();
    assert!(err.is_not_found(), "{err:?}");
    let err = s3.get_object().bucket("no-such-bucket-here").key("k").send().await.unwrap_err().into_service_error();
    assert_eq!(err.meta().code(), Some("NoSuchBucket"), "{err:?}");
}

/// Multipart uploads the way SDK users write them: parts of 5 MiB and a short last one,
/// with the SDK's default part checksums (upload created without an algorithm), and with an
/// explicit CRC32 whose composite checksum S3 reports as `<crc of part crcs>-<parts>`; one
/// part streamed from a file (aws-chunked). A too-small part is refused at completion.
#[tokio::test(flavor = "multi_thread")]
async fn sdk_s3_multipart_upload() {
    let server = Server::start("sdk-s3-mpu");
    let scratch = Scratch::new("s3-mpu");
    let customer = root(&server, "222222222222");
    let s3 = &customer.s3;
    let bucket = "edge-artifacts";
    s3.create_bucket().bucket(bucket).send().await.unwrap();

    const PART: usize = 5 * 1024 * 1024;
    let data = pattern(2 * PART + 12_345, 4);
    let pieces = [&data[..PART], &data[PART..2 * PART], &data[2 * PART..]];

    // 1. The SDK's defaults throughout.
    let up = s3.create_multipart_upload().bucket(bucket).key("default.bin").send().await.unwrap();
    let id = up.upload_id().unwrap();
    let mut parts = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        let n = i as i32 + 1;
        let out = s3.upload_part().bucket(bucket).key("default.bin").upload_id(id).part_number(n).body(ByteStream::from(piece.to_vec())).send().await.unwrap();
        parts.push(CompletedPart::builder().part_number(n).e_tag(out.e_tag().unwrap()).build());
    }
    let listed = s3.list_parts().bucket(bucket).key("default.bin").upload_id(id).send().await.unwrap();
    let sizes: Vec<i64> = listed.parts().iter().map(|p| p.size().unwrap()).collect();
    assert_eq!(sizes, [PART as i64, PART as i64, 12_345]);
    let done = s3
        .complete_multipart_upload()
        .bucket(bucket)
        .key("default.bin")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();
    let etag = done.e_tag().unwrap().to_string();
    assert!(etag.ends_with("-3\""), "a multipart ETag names its part count: {etag}");
    let got = s3.get_object().bucket(bucket).key("default.bin").send().await.unwrap();
    assert_eq!(got.content_length(), Some(data.len() as i64));
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert!(read_all(got.body).await == data, "the object reads back byte-exact");
    let got = s3.get_object().bucket(bucket).key("default.bin").range(format!("bytes={}-{}", PART - 5, PART + 4)).send().await.unwrap();
    assert_eq!(read_all(got.body).await, &data[PART - 5..PART + 5], "a range across a part boundary");
    // One part at a time, as parallel downloaders read multipart objects.
    let got = s3.get_object().bucket(bucket).key("default.bin").part_number(2).send().await.unwrap();
    assert_eq!(got.parts_count(), Some(3));
    assert_eq!(got.content_length(), Some(PART as i64));
    assert_eq!(got.content_range(), Some(format!("bytes {}-{}/{}", PART, 2 * PART - 1, data.len()).as_str()));
    assert!(read_all(got.body).await == pieces[1], "part 2 reads back byte-exact");
    let head = s3.head_object().bucket(bucket).key("default.bin").part_number(3).send().await.unwrap();
    assert_eq!(head.parts_count(), Some(3));
    assert_eq!(head.content_length(), Some(12_345));
    let uploads = s3.list_multipart_uploads().bucket(bucket).send().await.unwrap();
    assert!(uploads.uploads().is_empty(), "a completed upload is no longer listed");

    // 2. An explicit CRC32: each part's checksum goes into CompleteMultipartUpload, and the
    // object's checksum is the composite one. Parts 2 and 3 are streamed from a file, part 3
    // as the SDK streams to AWS (unsigned aws-chunked).
    let file = scratch.file("multipart.bin", &data);
    let tls = s3_as_if_tls(&server, "222222222222");
    let up = s3.create_multipart_upload().bucket(bucket).key("crc32.bin").checksum_algorithm(ChecksumAlgorithm::Crc32).send().await.unwrap();
    let id = up.upload_id().unwrap();
    assert_eq!(up.checksum_algorithm(), Some(&ChecksumAlgorithm::Crc32));
    let mut parts = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        let n = i as i32 + 1;
        let body = if n == 1 {
            ByteStream::from(piece.to_vec())
        } else {
            let offset = (n as usize - 1) * PART;
            ByteStream::read_from().path(&file).offset(offset as u64).length(Length::Exact(piece.len() as u64)).build().await.unwrap()
        };
        let wire = Wire::default();
        let out = if n == 3 { &tls } else { s3 }
            .upload_part()
            .bucket(bucket)
            .key("crc32.bin")
            .upload_id(id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(body)
            .customize()
            .interceptor(wire.clone())
            .send()
            .await
            .unwrap();
        let content_sha256 = wire.sent("x-amz-content-sha256").unwrap();
        match n {
            1 => assert_eq!(content_sha256.len(), 64, "part 1 is a signed payload: {content_sha256}"),
            2 => assert_eq!(content_sha256, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
            _ => assert_eq!(content_sha256, "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        }
        if n > 1 {
            assert_eq!(wire.sent("x-amz-trailer").as_deref(), Some("x-amz-checksum-crc32"), "part {n} is aws-chunked");
        }
        assert_eq!(out.checksum_crc32(), Some(crc32_b64(piece).as_str()), "part {n}");
        parts.push(CompletedPart::builder().part_number(n).e_tag(out.e_tag().unwrap()).checksum_crc32(out.checksum_crc32().unwrap()).build());
    }
    let composite: Vec<u8> = pieces.iter().flat_map(|p| crc32(p).to_be_bytes()).collect();
    let composite = format!("{}-3", crc32_b64(&composite));
    let done = s3
        .complete_multipart_upload()
        .bucket(bucket)
        .key("crc32.bin")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();
    assert_eq!(done.checksum_crc32(), Some(composite.as_str()));
    // The SDK cannot validate a composite checksum and skips it; the bytes are compared here.
    let got = s3.get_object().bucket(bucket).key("crc32.bin").checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
    assert_eq!(got.checksum_crc32(), Some(composite.as_str()));
    assert_eq!(got.checksum_type(), Some(&ChecksumType::Composite));
    assert!(read_all(got.body).await == data, "the object reads back byte-exact");

    // 3. Every part but the last must be at least 5 MiB.
    let up = s3.create_multipart_upload().bucket(bucket).key("small.bin").send().await.unwrap();
    let id = up.upload_id().unwrap();
    let mut parts = Vec::new();
    for n in 1..=2 {
        let out = s3.upload_part().bucket(bucket).key("small.bin").upload_id(id).part_number(n).body(ByteStream::from_static(b"tiny")).send().await.unwrap();
        parts.push(CompletedPart::builder().part_number(n).e_tag(out.e_tag().unwrap()).build());
    }
    let err = s3
        .complete_multipart_upload()
        .bucket(bucket)
        .key("small.bin")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.meta().code(), Some("EntityTooSmall"), "{err:?}");
    s3.abort_multipart_upload().bucket(bucket).key("small.bin").upload_id(id).send().await.unwrap();
    let err = s3.list_parts().bucket(bucket).key("small.bin").upload_id(id).send().await.unwrap_err().into_service_error();
    assert_eq!(err.meta().code(), Some("NoSuchUpload"), "{err:?}");
}

/// Presigned GET and PUT URLs made by the SDK, used by a plain HTTP client: the signed
/// headers travel with the request, an altered URL or an expired one is refused.
#[tokio::test(flavor = "multi_thread")]
async fn sdk_s3_presigned_get_and_put() {
    use aws_sdk_s3::presigning::PresigningConfig;
    use std::time::Duration;

    let server = Server::start("sdk-s3-presign");
    let customer = root(&server, "222222222222");
    let s3 = &customer.s3;
    let bucket = "edge-handoff";
    s3.create_bucket().bucket(bucket).send().await.unwrap();

    let body = pattern(3000, 5);
    let put = s3
        .put_object()
        .bucket(bucket)
        .key("upload/report.bin")
        .content_type("application/x-report")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    assert_eq!(put.method(), "PUT");
    assert!(put.uri().contains("X-Amz-Signature="), "{}", put.uri());
    let headers: Vec<(&str, &str)> = put.headers().collect();
    assert!(headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("content-type") && *v == "application/x-report"), "{headers:?}");
    let (status, _, resp) = http(put.uri(), "PUT", &headers, &body);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&resp));
    let got = s3.get_object().bucket(bucket).key("upload/report.bin").send().await.unwrap();
    assert_eq!(got.content_type(), Some("application/x-report"));
    assert_eq!(read_all(got.body).await, body);

    // A signed header that is not sent as signed is refused.
    let (status, _, resp) = http(put.uri(), "PUT", &[("content-type", "text/plain")], &body);
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&resp));
    assert!(String::from_utf8_lossy(&resp).contains("<Code>SignatureDoesNotMatch</Code>"), "{}", String::from_utf8_lossy(&resp));

    let get = s3
        .get_object()
        .bucket(bucket)
        .key("upload/report.bin")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    assert_eq!(get.method(), "GET");
    let headers: Vec<(&str, &str)> = get.headers().collect();
    let (status, resp_headers, resp) = http(get.uri(), "GET", &headers, b"");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&resp));
    assert_eq!(resp, body);
    assert!(resp_headers.iter().any(|(k, v)| k == "content-type" && v == "application/x-report"), "{resp_headers:?}");

    // The signature covers the key: the same query on another key is refused.
    let other = get.uri().replace("/upload/report.bin?", "/upload/other.bin?");
    let (status, _, resp) = http(&other, "GET", &headers, b"");
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&resp));
    assert!(String::from_utf8_lossy(&resp).contains("<Code>SignatureDoesNotMatch</Code>"), "{}", String::from_utf8_lossy(&resp));

    // An expired URL is refused with S3's words.
    let short = s3
        .get_object()
        .bucket(bucket)
        .key("upload/report.bin")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(1)).unwrap())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, _, resp) = http(short.uri(), "GET", &[], b"");
    let text = String::from_utf8_lossy(&resp);
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("<Code>AccessDenied</Code>") && text.contains("Request has expired"), "{text}");
}

/// SSE-KMS under a customer key made with aws-sdk-kms: the object is stored and read back
/// under that key, and a reader allowed s3:GetObject but not kms:Decrypt cannot read it.
#[tokio::test(flavor = "multi_thread")]
async fn sdk_s3_sse_kms_with_a_customer_key() {
    let server = Server::start("sdk-s3-kms");
    let customer = root(&server, "222222222222");
    let s3 = &customer.s3;
    let bucket = "edge-secrets";
    s3.create_bucket().bucket(bucket).send().await.unwrap();
    let key = customer.kms.create_key().description("bucket key").send().await.unwrap();
    let key_arn = key.key_metadata().unwrap().arn().unwrap().to_string();

    let body = pattern(50_000, 6);
    let put = s3
        .put_object()
        .bucket(bucket)
        .key("model.bin")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(&key_arn)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
    assert_eq!(put.ssekms_key_id(), Some(key_arn.as_str()));
    assert_eq!(put.checksum_crc32(), Some(crc32_b64(&body).as_str()));

    let got = s3.get_object().bucket(bucket).key("model.bin").checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
    assert_eq!(got.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
    assert_eq!(got.ssekms_key_id(), Some(key_arn.as_str()));
    assert_eq!(read_all(got.body).await, body);
    let head = s3.head_object().bucket(bucket).key("model.bin").send().await.unwrap();
    assert_eq!(head.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
    assert_eq!(head.ssekms_key_id(), Some(key_arn.as_str()));

    // Reading an SSE-KMS object takes kms:Decrypt on its key as well.
    let reader = user_with_policy(
        &server,
        &customer,
        "reader",
        &format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#),
    )
    .await;
    let err = reader.s3.get_object().bucket(bucket).key("model.bin").send().await.unwrap_err().into_service_error();
    assert_eq!(err.meta().code(), Some("AccessDenied"), "{err:?}");
    customer
        .iam
        .put_user_policy()
        .user_name("reader")
        .policy_name("decrypt")
        .policy_document(format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"kms:Decrypt","Resource":"{key_arn}"}}]}}"#))
        .send()
        .await
        .unwrap();
    let got = reader.s3.get_object().bucket(bucket).key("model.bin").send().await.unwrap();
    assert_eq!(read_all(got.body).await, body);
}
