//! `edgeward audit verify` and `edgeward policy explain --request-id`.

use std::path::PathBuf;
use std::process::ExitCode;

pub fn verify(_data_dir: Option<PathBuf>, _account: Option<String>) -> ExitCode {
    eprintln!("edgeward: audit verify is not implemented yet");
    ExitCode::from(2)
}

pub fn explain_request(_request_id: &str, _data_dir: Option<PathBuf>, _endpoint: &str, _json: bool) -> ExitCode {
    eprintln!("edgeward: explain --request-id is not implemented yet");
    ExitCode::from(2)
}
