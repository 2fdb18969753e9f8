//! The listener and the path every request takes: read the body (bounded), find the
//! protocol and service, authenticate (SigV4), run the operation, record the trail event
//! in the same durable batch as the state change, and answer in the protocol's shape.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::call::{Call, TrailDraft};
use crate::error::AwsError;
use crate::identity::{self, AuthFailure};
use crate::protocol::{json, query, Protocol};
use crate::sigv4::{self, RequestParts, VerifyOptions};
use crate::store::Batch;
use crate::Cloud;

/// Largest request body accepted outside S3.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Accepts connections until the listener fails, and serves each, for its whole life, on
/// one of a fixed set of threads (one per core), in turn.
///
/// Each serving thread runs its own single-threaded runtime: a connection's requests, and
/// the wake-ups that end their durable waits, stay on one thread, with no work-stealing
/// queues between them (measured against one multi-threaded runtime: ~4 % less CPU per
/// call and 5–7 % more calls per second on the bench, `conformance/bench`). Connections are
/// dealt out in turn, so two clients land on two cores.
pub async fn serve(cloud: Arc<Cloud>, listener: TcpListener) -> std::io::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let servers = Servers::start(&cloud, threads)?;
    let mut next = 0;
    loop {
        let (stream, remote) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        // Leaving this runtime's reactor fails only if the kernel refuses to unregister
        // the socket: that connection is closed, the listener goes on.
        let Ok(stream) = stream.into_std() else { continue };
        servers.hand(next, stream, remote);
        next = (next + 1) % threads;
    }
}

type Accepted = (std::net::TcpStream, SocketAddr);

/// The serving threads. Dropping this closes their queues and joins them: each ends its
/// runtime, and with it the connections it still serves.
struct Servers {
    queues: Vec<tokio::sync::mpsc::UnboundedSender<Accepted>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Servers {
    fn start(cloud: &Arc<Cloud>, count: usize) -> std::io::Result<Servers> {
        let mut servers = Servers { queues: Vec::with_capacity(count), threads: Vec::with_capacity(count) };
        for i in 0..count {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let (queue, mut accepted) = tokio::sync::mpsc::unbounded_channel::<Accepted>();
            let cloud = cloud.clone();
            let thread = std::thread::Builder::new().name(format!("edgeward-http-{i}")).spawn(move || {
                runtime.block_on(async move {
                    crate::store::answer_on_this_thread();
                    while let Some((stream, remote)) = accepted.recv().await {
                        // Registering with this thread's reactor fails only when the
                        // process is out of file descriptors or memory: the client sees
                        // its connection close.
                        let Ok(stream) = tokio::net::TcpStream::from_std(stream) else { continue };
                        tokio::spawn(connection(cloud.clone(), stream, remote));
                    }
                });
            })?;
            servers.queues.push(queue);
            servers.threads.push(thread);
        }
        Ok(servers)
    }

    fn hand(&self, to: usize, stream: std::net::TcpStream, remote: SocketAddr) {
        // A queue closes only when its thread has ended, which happens only on drop.
        let _ = self.queues[to].send((stream, remote));
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.queues.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// One connection's requests, in order, until the client closes it.
async fn connection(cloud: Arc<Cloud>, stream: tokio::net::TcpStream, remote: SocketAddr) {
    let svc = service_fn(move |req| {
        let cloud = cloud.clone();
        async move { Ok::<_, Infallible>(handle(&cloud, req, remote).await) }
    });
    let _ = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), svc).await;
}

/// The caller's address as the trail and `aws:SourceIp` show it, in a string sized for any
/// IPv4 address (`to_string` starts empty and grows it on the way).
pub(crate) fn source_ip(remote: SocketAddr) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(15);
    let _ = write!(out, "{}", remote.ip());
    out
}

/// Where a request is going.
#[derive(Debug, Clone)]
struct Route {
    protocol: Protocol,
    /// Signing name: iam, sts, kms, secretsmanager, sqs, cloudtrail, s3.
    service: &'static str,
    operation: String,
    /// awsQuery requests: the form parameters, decoded once here and reused by the operation.
    params: Option<query::Params>,
}

/// A response before it is turned into HTTP.
struct Reply {
    status: u16,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

/// A response body: bytes in memory, or a stream of chunks (S3 object data) produced by a
/// reader task and bounded by its channel.
pub enum Body {
    Full(Option<Bytes>),
    Stream(tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>),
}

impl Body {
    pub fn empty() -> Body {
        Body::Full(None)
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            Body::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Body::Stream(rx) => rx.poll_recv(cx).map(|chunk| chunk.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Body::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Body::Full(None) => SizeHint::with_exact(0),
            Body::Stream(_) => SizeHint::default(),
        }
    }
}

async fn handle(cloud: &Cloud, req: Request<Incoming>, remote: SocketAddr) -> Response<Body> {
    let request_id = crate::ids::uuid();
    let (parts, body) = req.into_parts();
    // S3 streams its bodies (objects may be large): it takes the connection's body as is.
    let own_endpoint = parts.uri.path().starts_with(crate::trail::admin::PREFIX)
        || (cloud.config.compat_moto && parts.uri.path().starts_with("/moto-api/"));
    if !own_endpoint && is_s3(&parts) {
        let enforce = !cloud.config.compat_moto || cloud.compat.next_request_enforced();
        return crate::s3::handle(cloud, parts, body, remote, request_id, enforce).await;
    }
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let err = AwsError::new(413, "RequestEntityTooLarge", format!("The request body exceeds the maximum of {MAX_BODY} bytes"));
            return finish(error_reply(Protocol::Json11, "", &err, &request_id), &request_id);
        }
    };
    // edgeward's own read-only endpoints (decisions, trail verification): root-signed.
    if parts.uri.path().starts_with(crate::trail::admin::PREFIX) {
        let (status, value) = crate::trail::admin::handle(cloud, &parts, &body);
        let body = serde_json::to_vec(&value).unwrap_or_default();
        return finish(Reply { status, content_type: "application/json", headers: Vec::new(), body }, &request_id);
    }
    // Enforcement (SigV4 + IAM) is always on, except in the explicit moto compatibility
    // mode, whose control endpoints can switch it off for the next N requests.
    let mut enforce = true;
    if cloud.config.compat_moto {
        match crate::compat::intercept(cloud, &parts, &body).await {
            crate::compat::Intercepted::Reply { status, body } => {
                return finish(Reply { status, content_type: "application/json", headers: Vec::new(), body: body.into_bytes() }, &request_id);
            }
            crate::compat::Intercepted::Pass { enforce: e } => enforce = e,
        }
    }
    let raw_query = parts.uri.query().unwrap_or("");
    let route = match route(&parts.headers, raw_query, &body) {
        Ok(r) => r,
        Err((protocol, err)) => return finish(error_reply(protocol, "", &err, &request_id), &request_id),
    };
    let reply = match dispatch(cloud, &route, &parts, &body, remote, &request_id, enforce).await {
        Ok(r) => r,
        Err(err) => error_reply(route.protocol, route.service, &err, &request_id),
    };
    finish(reply, &request_id)
}

fn finish(reply: Reply, request_id: &str) -> Response<Body> {
    // Named once: a header name given as text is parsed again on every insert.
    const X_AMZN_REQUESTID: HeaderName = HeaderName::from_static("x-amzn-requestid");
    const X_AMZ_REQUEST_ID: HeaderName = HeaderName::from_static("x-amz-request-id");
    let mut resp = Response::new(Body::Full(Some(Bytes::from(reply.body))));
    *resp.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(X_AMZN_REQUESTID, v.clone());
        h.insert(X_AMZ_REQUEST_ID, v);
    }
    for (k, v) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    }
    resp
}

/// True when a request is for S3: signed for `s3`, or unsigned and neither awsJson (a
/// target header) nor awsQuery (an `Action` parameter in the query or a form body).
fn is_s3(parts: &http::request::Parts) -> bool {
    if parts.headers.contains_key("x-amz-target") {
        return false;
    }
    let raw_query = parts.uri.query().unwrap_or("");
    if let Some(service) = scope_service(&parts.headers, raw_query) {
        return service == "s3";
    }
    if form_urlencoded::parse(raw_query.as_bytes()).any(|(k, _)| k == "Action") {
        return false;
    }
    let form = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    !(parts.method == http::Method::POST && form)
}

/// Finds protocol, service and operation from the target header, the Action parameter
/// and the credential scope.
fn route(headers: &HeaderMap, raw_query: &str, body: &[u8]) -> Result<Route, (Protocol, AwsError)> {
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        let (prefix, op) = target.rsplit_once('.').unwrap_or((target, ""));
        let (service, protocol) = match prefix {
            "TrentService" => ("kms", Protocol::Json11),
            "secretsmanager" => ("secretsmanager", Protocol::Json11),
            "AmazonSQS" => ("sqs", Protocol::Json10),
            "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101" => ("cloudtrail", Protocol::Json11),
            _ => {
                return Err((
                    Protocol::Json11,
                    AwsError::client("UnknownOperationException", format!("No service handles the target {target}")),
                ))
            }
        };
        return Ok(Route { protocol, service, operation: op.to_string(), params: None });
    }
    let params = query::Params::parse(body, raw_query);
    if let Some(action) = params.get("Action") {
        let scope_service = scope_service(headers, raw_query);
        let service = match scope_service.as_deref() {
            Some("iam") => "iam",
            Some("sts") => "sts",
            Some("sqs") => "sqs",
            _ => match params.get("Version") {
                Some("2010-05-08") => "iam",
                Some("2011-06-15") => "sts",
                Some("2012-11-05") => "sqs",
                _ => "sts",
            },
        };
        let operation = action.to_string();
        return Ok(Route { protocol: Protocol::Query, service, operation, params: Some(params) });
    }
    Err((Protocol::Query, AwsError::new(400, "MissingAction", "Could not find operation to perform")))
}

/// The service named in the SigV4 credential scope, if the request is signed.
fn scope_service(headers: &HeaderMap, raw_query: &str) -> Option<String> {
    let cred = if let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        auth.split("Credential=").nth(1)?.split([',', ' ']).next()?.to_string()
    } else {
        form_urlencoded::parse(raw_query.as_bytes()).find(|(k, _)| k == "X-Amz-Credential")?.1.into_owned()
    };
    cred.split('/').nth(3).map(str::to_string)
}

async fn dispatch(
    cloud: &Cloud,
    route: &Route,
    parts: &http::request::Parts,
    body: &Bytes,
    remote: SocketAddr,
    request_id: &str,
    enforce: bool,
) -> Result<Reply, AwsError> {
    // Only the moto compatibility mode ever turns enforcement off.
    let lenient = !enforce && cloud.config.compat_moto;
    let now = crate::time::now_secs();
    let body_hash = sigv4::sha256_hex(body);
    let rp = request_parts(parts, &body_hash);
    let auth_err = |e: sigv4::SigV4Error| {
        let (code, status) = match route.protocol {
            Protocol::Query => e.kind.query_code(),
            _ => e.kind.json_code(),
        };
        AwsError::new(status, code, e.message)
    };
    let signed = authenticate(cloud, &rp, &VerifyOptions::service(), lenient, now, auth_err, |f| auth_failure(route.protocol, f))?
        .ok_or_else(|| missing_auth(route.protocol))?;
    let (caller, region) = (signed.caller, signed.region);

    let mut call = Call {
        cloud,
        request_id: request_id.to_string(),
        service: route.service,
        operation: route.operation.clone(),
        region,
        source_ip: source_ip(remote),
        user_agent: parts.headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or("").to_string(),
        now,
        caller,
        batch: Batch::default(),
        trail: TrailDraft::default(),
        enforce: !lenient,
        due: Vec::new(),
    };
    // Decoding the input and encoding the output need no lock: they happen outside the
    // commit-order section (a decoding error still runs through it, to be traced).
    let json_input = match route.protocol {
        Protocol::Json10 | Protocol::Json11 if route.service != "sqs" => Some(json::parse_body(body, "ValidationException")),
        _ => None,
    };
    // The read path: an operation that changes nothing runs under the state's read lock,
    // without the commit-order lock, and its trail event is built outside every lock. If
    // it finds a change due (a key's rotation, a first read of the day, this access key's
    // last use to record), it runs on the write path below instead.
    if reads_only(route) && !crate::iam::key_use_due(&call) {
        let result = run_operation(&mut call, route, json_input.as_ref(), Path::Read);
        if call.due.is_empty() {
            debug_assert!(call.batch.ops.is_empty(), "{} {} changed state on the read path", route.service, route.operation);
            let outcome = result.as_ref().map(|_| ()).map_err(Clone::clone);
            crate::trail::record(&mut call, &outcome);
            let batch = std::mem::take(&mut call.batch);
            // This call may have read a change whose writer still holds the commit-order
            // lock and has not handed its batch over yet. Handing this batch over under the
            // same lock puts it behind the writer's in the store's queue (batches commit in
            // order), so once this call's event is durable, the change it saw is too: no
            // call acknowledges state that could still be lost. Held only for the send.
            let pending = {
                let _order = cloud.commit_order.lock().unwrap_or_else(|e| e.into_inner());
                cloud.store.submit(batch)
            };
            durable(pending).await;
            return result.map(|out| render(out, route, &call.request_id));
        }
        // What the read run added is dropped; the write path starts the call afresh.
        call.due.clear();
        call.trail = TrailDraft::default();
        call.batch = Batch::default();
    }
    // Operations change memory under the state lock and stage full records; their batches
    // must reach the writer in the same order, or a restart could load an older record over
    // a newer one. The commit-order lock spans the change and the hand-off (never the wait).
    // An SQS long poll that finds nothing gives back a wait: its staged changes (if any) are
    // committed, then it waits holding no lock and runs again; only the last run is traced.
    let mut poll = crate::sqs::Poll::default();
    let (result, pending) = loop {
        let (wait, staged) = {
            let _order = cloud.commit_order.lock().unwrap_or_else(|e| e.into_inner());
            if poll.first() {
                // GetAccessKeyLastUsed: every authenticated request records its key's last use.
                crate::iam::note_key_use(&mut call);
            }
            let result = if route.service == "sqs" {
                crate::sqs::run(&mut call, route.params.as_ref(), &route.operation, parts, body, &mut poll)
                    .map(|r| Output::Ready(Reply { status: 200, content_type: r.content_type, headers: Vec::new(), body: r.body }))
            } else {
                run_operation(&mut call, route, json_input.as_ref(), Path::Write)
            };
            debug_assert!(call.due.is_empty(), "{} {} left a due change unmade on the write path", route.service, route.operation);
            match poll.take_wait() {
                Some(wait) if result.is_ok() => {
                    let batch = std::mem::take(&mut call.batch);
                    (wait, (!batch.is_empty()).then(|| cloud.store.submit(batch)))
                }
                _ => {
                    let outcome = result.as_ref().map(|_| ()).map_err(Clone::clone);
                    crate::trail::record(&mut call, &outcome);
                    let batch = std::mem::take(&mut call.batch);
                    break (result, cloud.store.submit(batch));
                }
            }
        };
        if let Some(staged) = staged {
            durable(staged).await;
        }
        wait.wait().await;
    };
    durable(pending).await;
    result.map(|out| render(out, route, &call.request_id))
}

/// An operation's result before it is encoded.
enum Output {
    Ready(Reply),
    /// awsQuery: the `<OpResult>` members and the service's XML namespace.
    Query { xmlns: &'static str, members: String },
    Json(serde_json::Value),
}

fn render(out: Output, route: &Route, request_id: &str) -> Reply {
    match out {
        Output::Ready(reply) => reply,
        Output::Query { xmlns, members } => Reply {
            status: 200,
            content_type: "text/xml",
            headers: Vec::new(),
            body: query::success(&route.operation, xmlns, &members, request_id).into_bytes(),
        },
        Output::Json(value) => {
            let content_type = if route.protocol == Protocol::Json10 { "application/x-amz-json-1.0" } else { "application/x-amz-json-1.1" };
            let mut body = Vec::with_capacity(512);
            crate::protocol::json::write_value(&mut body, &value);
            Reply { status: 200, content_type, headers: Vec::new(), body }
        }
    }
}

/// Waits until a submitted batch is on disk. If the commit fails, memory may be ahead of
/// disk: stop rather than serve state that was never made durable (a restart reloads what
/// was committed).
pub(crate) async fn durable(pending: Result<crate::store::Pending, crate::store::StoreError>) {
    let committed = match pending {
        Ok(p) => p.wait().await,
        Err(e) => Err(e),
    };
    if let Err(e) = committed {
        tracing::error!("cannot commit to the store: {e}; stopping");
        std::process::exit(70);
    }
}

/// The verified signer of a request.
pub(crate) struct Signed {
    pub caller: crate::identity::Caller,
    /// The region of the credential scope.
    pub region: String,
    /// The parsed authentication (None only when compat mode let an unsigned request in).
    pub auth: Option<sigv4::Auth>,
    /// The derived signing key (for aws-chunked bodies' chunk signatures), when verified.
    pub signing_key: Option<[u8; 32]>,
}

/// Verifies a request's SigV4 signature and resolves its caller. `Ok(None)`: unsigned.
/// With `lenient` (moto compatibility, enforcement off) the key names the caller (unknown
/// keys act as the root of 123456789012) and nothing is verified.
pub(crate) fn authenticate(
    cloud: &Cloud,
    rp: &RequestParts<'_>,
    opts: &VerifyOptions,
    lenient: bool,
    now: i64,
    sig_error: impl Fn(sigv4::SigV4Error) -> AwsError,
    auth_error: impl Fn(AuthFailure) -> AwsError,
) -> Result<Option<Signed>, AwsError> {
    let auth = match sigv4::parse(rp) {
        Ok(Some(a)) => a,
        Ok(None) | Err(_) if lenient => {
            let caller = crate::compat::unknown_key_caller("");
            return Ok(Some(Signed { caller, region: cloud.config.region.clone(), auth: None, signing_key: None }));
        }
        Ok(None) => return Ok(None),
        Err(e) => return Err(sig_error(e)),
    };
    let region = auth.credential.region.clone();
    if lenient {
        let caller = crate::compat::lenient_caller(&cloud.read_state(), &auth.credential.access_key_id, now);
        return Ok(Some(Signed { caller, region, auth: Some(auth), signing_key: None }));
    }
    let resolved = {
        let state = cloud.read_state();
        identity::resolve(&state, &auth.credential.access_key_id, auth.security_token.as_deref(), now)
    };
    let (caller, secret) = resolved.map_err(auth_error)?;
    crate::keycache::verify(rp, &auth, &secret, now, opts).map_err(sig_error)?;
    // Only S3 (streaming uploads) verifies chunk signatures with the derived key.
    let signing_key = opts.allow_unsigned_payload.then(|| crate::keycache::signing_key(&auth, &secret));
    Ok(Some(Signed { caller, region, auth: Some(auth), signing_key }))
}

/// What SigV4 covers of a received request, given the hex SHA-256 of its body.
pub(crate) fn request_parts<'a>(parts: &'a http::request::Parts, body_sha256: &'a str) -> RequestParts<'a> {
    RequestParts {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        body_sha256: Some(body_sha256),
    }
}

/// Whether a call may take the read path: its operation never changes state. SQS never does
/// (a long poll waits through `dispatch`).
fn reads_only(route: &Route) -> bool {
    let op = route.operation.as_str();
    match (route.protocol, route.service) {
        (Protocol::Query, "iam") => crate::iam::reads_only(op),
        (Protocol::Query, "sts") => crate::sts::reads_only(op),
        (Protocol::Json11, "kms") => crate::kms::reads_only(op),
        (Protocol::Json11, "secretsmanager") => crate::secrets::reads_only(op),
        (Protocol::Json11, "cloudtrail") => crate::cloudtrail::reads_only(op),
        _ => false,
    }
}

/// Which lock an operation runs under: the read path's (read-only operations, see
/// `reads_only`) or the write path's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Read,
    Write,
}

fn run_operation(call: &mut Call<'_>, route: &Route, json_input: Option<&Result<serde_json::Value, AwsError>>, path: Path) -> Result<Output, AwsError> {
    match route.protocol {
        Protocol::Query => {
            let Some(params) = route.params.as_ref() else {
                return Err(AwsError::internal("an awsQuery route without its parameters"));
            };
            let (xmlns, result) = match route.service {
                "iam" => ("https://iam.amazonaws.com/doc/2010-05-08/", crate::iam::handle(call, &route.operation, params)),
                "sts" => ("https://sts.amazonaws.com/doc/2011-06-15/", crate::sts::handle(call, &route.operation, params)),
                other => return Err(AwsError::new(501, "NotImplemented", format!("The {other} service is not implemented yet in edgeward"))),
            };
            Ok(Output::Query { xmlns, members: result? })
        }
        Protocol::Json10 | Protocol::Json11 => {
            let input = match json_input {
                Some(Ok(v)) => v,
                Some(Err(e)) => return Err(e.clone()),
                None => return Err(AwsError::internal("an awsJson route without its input")),
            };
            let output = match route.service {
                "cloudtrail" => crate::cloudtrail::handle(call, &route.operation, input)?,
                "kms" if path == Path::Read => crate::kms::handle_read(call, &route.operation, input)?,
                "kms" => crate::kms::handle(call, &route.operation, input)?,
                "secretsmanager" if path == Path::Read => crate::secrets::handle_read(call, &route.operation, input)?,
                "secretsmanager" => crate::secrets::handle(call, &route.operation, input)?,
                other => {
                    return Err(AwsError::new(
                        501,
                        "NotImplemented",
                        format!("The {other} service ({}) is not implemented yet in edgeward", route.operation),
                    ))
                }
            };
            Ok(Output::Json(output))
        }
    }
}

fn missing_auth(protocol: Protocol) -> AwsError {
    match protocol {
        Protocol::Query => AwsError::new(403, "MissingAuthenticationToken", "Request is missing Authentication Token"),
        _ => AwsError::new(400, "MissingAuthenticationTokenException", "Request is missing Authentication Token"),
    }
}

fn auth_failure(protocol: Protocol, f: AuthFailure) -> AwsError {
    let query = protocol == Protocol::Query;
    match f {
        AuthFailure::UnknownKey | AuthFailure::Inactive | AuthFailure::BadToken => {
            if query {
                AwsError::new(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
            } else {
                AwsError::new(400, "UnrecognizedClientException", "The security token included in the request is invalid.")
            }
        }
        AuthFailure::Expired => {
            if query {
                AwsError::new(403, "ExpiredToken", "The security token included in the request is expired")
            } else {
                AwsError::new(400, "ExpiredTokenException", "The security token included in the request is expired")
            }
        }
    }
}

fn error_reply(protocol: Protocol, service: &str, err: &AwsError, request_id: &str) -> Reply {
    match protocol {
        Protocol::Query => {
            let xmlns = match service {
                "sts" => "https://sts.amazonaws.com/doc/2011-06-15/",
                "sqs" => "http://queue.amazonaws.com/doc/2012-11-05/",
                _ => "https://iam.amazonaws.com/doc/2010-05-08/",
            };
            Reply { status: err.status, content_type: "text/xml", headers: Vec::new(), body: query::error(err, xmlns, request_id).into_bytes() }
        }
        Protocol::Json10 | Protocol::Json11 => {
            let mut headers = vec![("x-amzn-errortype", err.code.to_string())];
            let mut shaped = None;
            // The decision point answers in the query services' words; awsJson services
            // (KMS, Secrets Manager, CloudTrail) call a denial AccessDeniedException, 400.
            if err.code == "AccessDenied" && service != "sqs" {
                let e = AwsError { code: "AccessDeniedException".into(), status: 400, ..err.clone() };
                headers[0].1 = e.code.to_string();
                shaped = Some(e);
            }
            if service == "sqs" {
                headers.push(("x-amzn-query-error", format!("{};{}", err.code, if err.sender_fault { "Sender" } else { "Receiver" })));
                // The body and X-Amzn-ErrorType name the model's shape; the query code travels above.
                let e = AwsError { code: crate::sqs::json_error_type(&err.code).into(), ..err.clone() };
                headers[0].1 = e.code.to_string();
                shaped = Some(e);
            }
            let content_type = if protocol == Protocol::Json10 { "application/x-amz-json-1.0" } else { "application/x-amz-json-1.1" };
            let err = shaped.as_ref().unwrap_or(err);
            Reply { status: err.status, content_type, headers, body: json::error_body(err) }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc};
    use std::time::Duration;

    use super::*;
    use crate::state::{PolicyDoc, Role};

    /// A cloud in the moto compatibility mode, so that an unsigned request (enforcement off)
    /// can drive `dispatch` as the root of 123456789012.
    fn compat_cloud(rt: &tokio::runtime::Runtime) -> Arc<Cloud> {
        crate::test_cloud(rt, &["111111111111"], true)
    }

    fn query_request(form: &str) -> (http::request::Parts, Bytes) {
        let req = Request::post("/").header("content-type", "application/x-www-form-urlencoded").body(()).unwrap();
        (req.into_parts().0, Bytes::from(form.to_string()))
    }

    fn role(name: &str) -> Role {
        let account = crate::compat::COMPAT_ACCOUNT;
        let trust = format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#);
        Role {
            name: name.into(),
            path: "/".into(),
            id: "AROAORDERED".into(),
            arn: format!("arn:aws:iam::{account}:role/{name}"),
            created: 0,
            trust: PolicyDoc::new(&trust, edgeward_policy::PolicyKind::Trust, None).unwrap(),
            description: None,
            max_session_duration: 3600,
            inline: Default::default(),
            attached: Vec::new(),
            boundary: None,
            tags: Vec::new(),
        }
    }

    #[test]
    fn source_addresses_read_as_std_writes_them() {
        for ip in ["127.0.0.1", "0.0.0.0", "255.255.255.255", "10.0.100.9", "192.168.1.20", "::1", "fe80::1"] {
            let addr = SocketAddr::new(ip.parse().unwrap(), 4566);
            assert_eq!(source_ip(addr), addr.ip().to_string());
        }
    }

    /// A read that sees a write's change in memory before the write has handed its batch to
    /// the store is acknowledged only after that batch is handed over (so, the store being
    /// first in first out, only once the change is durable).
    #[test]
    fn a_read_that_sees_an_unsubmitted_write_is_acknowledged_after_it() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let cloud = compat_cloud(&rt);
        let submitted = Arc::new(AtomicBool::new(false));
        let (changed_tx, changed_rx) = mpsc::channel();
        // The writer, as `dispatch`'s write path runs one: memory changes under the commit-order
        // lock, which it holds until its batch is handed over, here a while later.
        let writer = {
            let (cloud, submitted) = (cloud.clone(), submitted.clone());
            std::thread::spawn(move || {
                let _order = cloud.commit_order.lock().unwrap();
                let mut batch = Batch::default();
                {
                    let mut st = cloud.write_state();
                    let r = role("ordered");
                    crate::state::put(&mut batch, crate::iam::Record::store_key(&r, crate::compat::COMPAT_ACCOUNT), &r);
                    st.iam.entry(crate::compat::COMPAT_ACCOUNT.into()).or_default().roles.insert("ordered".into(), r);
                }
                changed_tx.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(300));
                let pending = cloud.store.submit(batch);
                submitted.store(true, Ordering::SeqCst);
                pending
            })
        };
        changed_rx.recv().unwrap();
        let (parts, body) = query_request("Action=GetRole&Version=2010-05-08&RoleName=ordered");
        let route = route(&parts.headers, "", &body).unwrap();
        assert!(reads_only(&route));
        let remote: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let reply = rt.block_on(dispatch(&cloud, &route, &parts, &body, remote, "read-1", false)).unwrap_or_else(|e| panic!("{e}"));
        assert!(String::from_utf8_lossy(&reply.body).contains("<RoleName>ordered</RoleName>"), "the read saw the change");
        assert!(submitted.load(Ordering::SeqCst), "the read was acknowledged before the write it saw was handed to the store");
        rt.block_on(writer.join().unwrap().unwrap().wait()).unwrap();
    }
}
