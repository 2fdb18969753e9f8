//! `edgeward`: the one binary. Thin: parses flags and calls the crates.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// mimalloc rather than glibc's malloc: the local cloud allocates and frees many small
/// buffers per request across threads, where glibc spent ~15% of the server's CPU
/// (conformance/bench/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod audit_cmd;
mod cloud_cmd;
mod policy_cmd;

#[derive(Parser)]
#[command(name = "edgeward", version, about = "A bring-your-own-cloud edge platform: local AWS-compatible cloud, control plane, edge agent and analysis tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The IAM policy language: simulate, explain and validate.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// The local AWS-compatible cloud.
    #[command(subcommand)]
    Cloud(CloudCommand),
    /// The audit trail: verify its integrity.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the trail's hash chain and signed digests; name any edited, deleted, inserted
    /// or reordered event. Exit 1 when the trail does not verify.
    Verify {
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Only this account (default: every account).
        #[arg(long)]
        account: Option<String>,
        /// A running `edgeward cloud serve` on this data directory: verify through it (its
        /// lock keeps other processes out of the store), signed with the accounts' root
        /// credentials from the data directory.
        #[arg(long)]
        endpoint: Option<String>,
    },
}

#[derive(Subcommand)]
enum CloudCommand {
    /// Serve the cloud: SigV4 and IAM policy evaluation on every call, durable state and trail.
    Serve {
        /// Where state, keys and the trail live (default: the user's data directory).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long, default_value = "127.0.0.1:4566")]
        listen: std::net::SocketAddr,
        /// Accounts to create (comma-separated 12-digit ids); later starts may add more.
        #[arg(long, value_delimiter = ',', default_value = "111111111111,222222222222")]
        accounts: Vec<String>,
        #[arg(long, default_value = "us-east-1")]
        region: String,
        /// Compatibility mode for third-party test suites. `moto`: `/moto-api/reset`
        /// wipes all state and unknown access keys act as account 123456789012's root.
        /// Never the default.
        #[arg(long, value_enum)]
        compat: Option<Compat>,
    },
    /// Print an account's root credentials for other tools.
    Credentials {
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        account: String,
        #[arg(long, value_enum, default_value_t = CredFormat::Env)]
        format: CredFormat,
        /// The endpoint to print with the env and aws-config formats.
        #[arg(long, default_value = "http://127.0.0.1:4566")]
        endpoint: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Compat {
    Moto,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CredFormat {
    Env,
    Json,
    AwsConfig,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Evaluate simulation cases; one JSON line per case, then `N passed, N failed`.
    /// Exit 1 when a case's expected response differs, 2 when input cannot be read.
    Simulate {
        /// Case files: a JSON array of cases, or one case object.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Evaluate every compiled case this many more times and print the evaluation time
        /// per case to stderr (parsing and compiling excluded): for benchmark scripts.
        #[arg(long, default_value_t = 0)]
        repeat: u32,
    },
    /// Explain the decision for each case: every policy, statement and condition; or, with
    /// --request-id, a decision the cloud made (denials are kept by request id).
    Explain {
        /// Case files, as for simulate.
        #[arg(required_unless_present = "request_id")]
        files: Vec<PathBuf>,
        /// A request id from a denied call to `edgeward cloud serve`.
        #[arg(long)]
        request_id: Option<String>,
        /// The cloud's data directory (with --request-id).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The running cloud's endpoint (with --request-id).
        #[arg(long, default_value = "http://127.0.0.1:4566")]
        endpoint: String,
        #[arg(long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Check a policy document and print the findings. Exit 1 when it has errors.
    Validate {
        /// Policy document files (JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Which kind of policy the documents are.
        #[arg(long, value_enum, default_value_t = Kind::Identity)]
        kind: Kind,
        /// Size limit in characters, white space excluded (default: the kind's quota).
        #[arg(long)]
        size_limit: Option<usize>,
        #[arg(long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    Table,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Identity,
    Resource,
    Trust,
    Key,
    Boundary,
    Session,
    Scp,
    Rcp,
}

impl From<Kind> for edgeward_policy::PolicyKind {
    fn from(k: Kind) -> Self {
        use edgeward_policy::PolicyKind as P;
        match k {
            Kind::Identity => P::Identity,
            Kind::Resource => P::Resource,
            Kind::Trust => P::Trust,
            Kind::Key => P::Key,
            Kind::Boundary => P::Boundary,
            Kind::Session => P::Session,
            Kind::Scp => P::Scp,
            Kind::Rcp => P::Rcp,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Cloud(CloudCommand::Serve { data_dir, listen, accounts, region, compat }) => {
            cloud_cmd::serve(data_dir, listen, accounts, region, compat == Some(Compat::Moto))
        }
        Command::Audit(AuditCommand::Verify { data_dir, account, endpoint }) => audit_cmd::verify(data_dir, account, endpoint),
        Command::Cloud(CloudCommand::Credentials { data_dir, account, format, endpoint, region }) => {
            cloud_cmd::credentials(data_dir, &account, format, &endpoint, &region)
        }
        Command::Policy(PolicyCommand::Simulate { files, repeat }) => policy_cmd::simulate(&files, repeat),
        Command::Policy(PolicyCommand::Explain { files, output, request_id, data_dir, endpoint }) => match request_id {
            Some(id) => audit_cmd::explain_request(&id, data_dir, &endpoint, matches!(output, Output::Json)),
            None => policy_cmd::explain(&files, matches!(output, Output::Json)),
        },
        Command::Policy(PolicyCommand::Validate { files, kind, size_limit, output }) => {
            policy_cmd::validate(&files, kind.into(), size_limit, matches!(output, Output::Json))
        }
    }
}
