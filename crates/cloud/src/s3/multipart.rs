//! Multipart uploads: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts,
//! ListMultipartUploads.

use super::payload::Payload;
use super::request::S3Request;
use super::{step, Reply};
use crate::call::Call;
use crate::error::AwsError;
use crate::state::State;

fn not_yet(op: &str) -> AwsError {
    AwsError::new(501, "NotImplemented", format!("edgeward does not implement {op} yet"))
}

pub async fn upload_part(call: &mut Call<'_>, req: &S3Request, _payload: Payload) -> Result<Reply, AwsError> {
    step(call, true, |_, _| Err(not_yet(req.op))).await
}

pub async fn upload_part_copy(call: &mut Call<'_>, req: &S3Request) -> Result<Reply, AwsError> {
    step(call, true, |_, _| Err(not_yet(req.op))).await
}

pub fn create(_call: &mut Call<'_>, _st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    Err(not_yet(req.op))
}

pub fn complete(_call: &mut Call<'_>, _st: &mut State, req: &S3Request, _body: &[u8]) -> Result<Reply, AwsError> {
    Err(not_yet(req.op))
}

pub fn abort(_call: &mut Call<'_>, _st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    Err(not_yet(req.op))
}

pub fn list_parts(_call: &mut Call<'_>, _st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    Err(not_yet(req.op))
}

pub fn list_uploads(_call: &mut Call<'_>, _st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    Err(not_yet(req.op))
}
