//! `edgeward cloud serve | credentials`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use edgeward_cloud::{read_root_credentials, Config};

use crate::CredFormat;

pub fn serve(data_dir: Option<PathBuf>, listen: SocketAddr, accounts: Vec<String>, region: String, compat_moto: bool) -> ExitCode {
    let filter = std::env::var("EDGEWARD_LOG").ok().and_then(|v| v.parse::<tracing::Level>().ok()).unwrap_or(tracing::Level::INFO);
    use std::io::IsTerminal;
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt().with_max_level(filter).with_target(false).with_ansi(ansi).with_writer(std::io::stderr).init();
    let config = Config { data_dir: data_dir.unwrap_or_else(Config::default_data_dir), listen, accounts, region, compat_moto };
    // This runtime only opens the store, accepts connections and waits for a signal: the
    // requests are served on threads of their own (`edgeward_cloud::http::serve`).
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("edgeward: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(edgeward_cloud::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("edgeward: {e}");
            ExitCode::FAILURE
        }
    }
}

pub fn credentials(data_dir: Option<PathBuf>, account: &str, format: CredFormat, endpoint: &str, region: &str) -> ExitCode {
    let dir = data_dir.unwrap_or_else(Config::default_data_dir);
    let all = match read_root_credentials(&dir) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("edgeward: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(c) = all.get(account) else {
        eprintln!("edgeward: no account {account} in {}; known: {}", dir.display(), all.keys().cloned().collect::<Vec<_>>().join(", "));
        return ExitCode::from(2);
    };
    match format {
        CredFormat::Env => {
            println!("export AWS_ACCESS_KEY_ID={}", c.access_key_id);
            println!("export AWS_SECRET_ACCESS_KEY={}", c.secret_access_key);
            println!("export AWS_REGION={region}");
            println!("export AWS_ENDPOINT_URL={endpoint}");
        }
        CredFormat::Json => {
            println!("{}", serde_json::json!({"accessKeyId": c.access_key_id, "secretAccessKey": c.secret_access_key}));
        }
        CredFormat::AwsConfig => {
            println!("[profile edgeward-{account}]");
            println!("aws_access_key_id = {}", c.access_key_id);
            println!("aws_secret_access_key = {}", c.secret_access_key);
            println!("region = {region}");
            println!("endpoint_url = {endpoint}");
        }
    }
    ExitCode::SUCCESS
}
