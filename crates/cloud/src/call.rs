//! One API call in flight: who makes it, what it writes, what the trail will say about it.
//! Services receive a `Call`, describe the access they need (`authorize`), stage their state
//! changes in `batch`, and fill in the trail details; the HTTP layer commits it all at once.
//!
//! A read-only operation runs under the state's read lock and stages no state change. When
//! it finds a change due that it cannot make there (a KMS key's rotation date has passed,
//! the AWS managed key does not exist yet, a secret is read for the first time today), it
//! names the change in `due` and stops; the call then runs on the write path, where
//! [`Call::making_due_changes`] makes the change and runs the operation again.

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
    /// Changes a read-only run found due (see the module documentation); empty otherwise.
    pub due: Vec<Due>,
}

/// A state change a read-only operation found due but may not make under the read lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    Kms(crate::kms::Due),
    Secrets(crate::secrets::Due),
}

impl From<crate::kms::Due> for Due {
    fn from(d: crate::kms::Due) -> Due {
        Due::Kms(d)
    }
}

impl From<crate::secrets::Due> for Due {
    fn from(d: crate::secrets::Due) -> Due {
        Due::Secrets(d)
    }
}

/// How many times a write-path run may find changes due before it gives up: each round makes
/// every change it found, and an operation finds at most a few in a row (ReEncrypt: the
/// source key's lifecycle, then the destination's; GetSecretValue: the key's lifecycle, then
/// the LastAccessedDate).
const DUE_ROUNDS: usize = 8;

/// What a run added to a call, to take back when it stopped on a due change.
struct Mark {
    trail: TrailDraft,
    ops: usize,
    events: usize,
    decisions: usize,
}

impl<'c> Call<'c> {
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
        self.authorize_with(state, access, &|_, _, _, _| {})
    }

    /// [`Call::authorize`] with condition keys computed only when read (`authz::Fill`).
    pub fn authorize_with(&mut self, state: &State, access: &Access, fill: authz::Fill<'_>) -> Result<(), AwsError> {
        if !self.enforce {
            return Ok(());
        }
        match authz::authorize_with(state, &self.caller, &self.facts(), access, fill) {
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

    /// Stops a read-only run on a change it found due: the operation returns this error,
    /// which never reaches the caller (`due` sends the call to the write path).
    pub fn needs_write(&mut self, due: Due) -> AwsError {
        if !self.due.contains(&due) {
            self.due.push(due);
        }
        AwsError::internal("a read-only operation found a state change due")
    }

    /// Runs a read-only `op` on the write path: when it stops on changes it found due, what
    /// it added to the call (trail details, forwarded events, denials) is taken back, the
    /// changes are made (staged in the batch like any write), and it runs again.
    pub fn making_due_changes<T>(&mut self, st: &mut State, mut op: impl FnMut(&mut Call<'c>, &State) -> Result<T, AwsError>) -> Result<T, AwsError> {
        for _ in 0..DUE_ROUNDS {
            let mark = Mark { trail: self.trail.clone(), ops: self.batch.ops.len(), events: self.batch.trail.len(), decisions: self.batch.decisions.len() };
            let result = op(self, st);
            if self.due.is_empty() {
                return result;
            }
            self.trail = mark.trail;
            self.batch.ops.truncate(mark.ops);
            self.batch.trail.truncate(mark.events);
            self.batch.decisions.truncate(mark.decisions);
            for due in std::mem::take(&mut self.due) {
                match due {
                    Due::Kms(d) => crate::kms::make_due(self, st, &d),
                    Due::Secrets(d) => crate::secrets::make_due(self, st, &d),
                }
            }
        }
        Err(AwsError::internal("state changes kept falling due while the operation ran"))
    }
}
