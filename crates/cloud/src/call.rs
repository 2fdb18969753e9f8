//! One API call in flight: who makes it, what it writes, what the trail will say about it.
//! Services receive a `Call`, describe the access they need (`authorize`), stage their state
//! changes in `batch`, and fill in the trail details; the HTTP layer commits it all at once.

use serde_json::Value;

use crate::authz::{self, Access, RequestFacts};
use crate::error::AwsError;
use crate::identity::Caller;
use crate::state::State;
use crate::store::Batch;
use crate::Cloud;

/// What the trail records beyond the identity and the outcome.
#[derive(Debug, Default, Clone)]
pub struct TrailDraft {
    pub request_parameters: Option<Value>,
    pub response_elements: Option<Value>,
    /// `(ARN, type)` of the resources touched.
    pub resources: Vec<(String, String)>,
    /// The account that owns the resource, when it is not the caller's.
    pub resource_account: Option<String>,
    pub read_only: bool,
    /// A data event (S3 object operations) rather than a management event.
    pub data_event: bool,
    /// `userIdentity.invokedBy`: the service calling on the caller's behalf (`s3.amazonaws.com`).
    pub invoked_by: Option<String>,
}

pub struct Call<'a> {
    pub cloud: &'a Cloud,
    pub request_id: String,
    /// The signing name (`iam`, `sts`, …); the trail's eventSource is `<service>.amazonaws.com`.
    pub service: &'static str,
    pub operation: String,
    pub region: String,
    pub source_ip: String,
    pub user_agent: String,
    pub now: i64,
    pub caller: Caller,
    pub batch: Batch,
    pub trail: TrailDraft,
    /// IAM authorization applies (always, except while the moto compatibility mode has
    /// enforcement switched off).
    pub enforce: bool,
}

impl Call<'_> {
    pub fn facts(&self) -> RequestFacts<'_> {
        RequestFacts {
            source_ip: &self.source_ip,
            user_agent: &self.user_agent,
            region: &self.region,
            secure_transport: false,
            now_secs: self.now,
        }
    }

    /// Asks the one decision point; a denial is recorded (its explanation kept under this
    /// request id) and returned as AWS's AccessDenied error.
    pub fn authorize(&mut self, state: &State, access: &Access) -> Result<(), AwsError> {
        if !self.enforce {
            return Ok(());
        }
        match authz::authorize(state, &self.caller, &self.facts(), access) {
            Ok(()) => Ok(()),
            Err(denied) => {
                let record = serde_json::json!({
                    "requestId": self.request_id,
                    "action": access.action,
                    "resource": access.resource,
                    "principal": self.caller.arn,
                    "message": denied.error.message,
                    "explanation": denied.explanation,
                });
                self.batch.decisions.push((self.request_id.clone(), serde_json::to_vec(&record).unwrap_or_default()));
                if access.resource_account != self.caller.account {
                    self.trail.resource_account = Some(access.resource_account.clone());
                }
                Err(denied.error)
            }
        }
    }
}
