//! The local AWS-compatible cloud: one module per service (state and operations,
//! transport-free, with the wire mapping beside it) and the shared parts every call goes
//! through — `sigv4` (authentication), `protocol` (the only code that knows wire formats),
//! `authz` (the one decision point), `store` (durability) and `trail` (the audit record).
//!
//! Start reading at `http.rs` (the path of a request), then `authz.rs` and `store.rs`.

pub mod authz;
pub mod call;
pub mod cloudtrail;
pub mod compat;
pub mod error;
pub mod http;
pub mod iam;
pub mod identity;
pub mod ids;
pub mod keycache;
pub mod kms;
pub mod protocol;
pub mod s3;
pub mod secrets;
pub mod sigv4;
pub mod sqs;
pub mod state;
pub mod store;
pub mod sts;
pub mod time;
pub mod trail;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::{Deserialize, Serialize};

use crate::state::{Account, AccessKey, KeyOwner, State};
use crate::store::{Batch, Store};

/// How to start the cloud.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub accounts: Vec<String>,
    pub region: String,
    /// moto compatibility (`--compat moto`): `/moto-api/reset` wipes state and unknown
    /// access keys act as the root of account 123456789012. Never on by default.
    pub compat_moto: bool,
}

impl Config {
    /// The user's data directory for edgeward (`$XDG_DATA_HOME/edgeward/cloud` or
    /// `~/.local/share/edgeward/cloud`).
    pub fn default_data_dir() -> PathBuf {
        if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
            return PathBuf::from(x).join("edgeward/cloud");
        }
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
        home.join(".local/share/edgeward/cloud")
    }
}

#[derive(Debug)]
pub struct CloudError(pub String);

impl std::fmt::Display for CloudError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CloudError {}

/// One account's root credentials as written to `root-credentials.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RootCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

pub const ROOT_CREDENTIALS_FILE: &str = "root-credentials.json";

/// The running cloud: its store and the state it serves from memory.
pub struct Cloud {
    pub config: Config,
    pub store: Store,
    state: RwLock<State>,
    /// The moto compatibility mode's switches (unused unless `config.compat_moto`).
    pub compat: compat::CompatState,
    /// Held from a call's first state change until its batch is handed to the writer, so
    /// batches commit in the order their changes were made.
    pub(crate) commit_order: std::sync::Mutex<()>,
    /// Wraps every KMS key's material at rest (`DATA_DIR/root-key` or `EDGEWARD_ROOT_KEY`).
    pub kms_root: kms::RootKey,
    /// S3 object bytes (`DATA_DIR/s3`), encrypted blob files.
    pub s3_blobs: s3::blob::BlobStore,
    /// A test cloud's data directory, removed after every other field is dropped (the
    /// store's writer thread is joined first).
    #[cfg(test)]
    test_dir: std::sync::OnceLock<TestDir>,
}

impl Cloud {
    /// Opens (or creates) the data directory, loads the state, creates missing accounts
    /// with their root keys and writes `root-credentials.json` (mode 0600).
    pub async fn open(config: Config) -> Result<Arc<Cloud>, CloudError> {
        for a in &config.accounts {
            if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                return Err(CloudError(format!("account id {a:?} must be 12 digits")));
            }
        }
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| CloudError(format!("cannot create the data directory {}: {e}", config.data_dir.display())))?;
        let store = Store::open(&config.data_dir.join("edgeward.redb"))
            .map_err(|e| CloudError(format!("cannot open the store in {}: {e}", config.data_dir.display())))?;
        let state = State::load(&store).map_err(|e| CloudError(e.to_string()))?;
        let kms_root = kms::RootKey::load_or_create(&config.data_dir).map_err(CloudError)?;
        let s3_blobs = s3::blob::BlobStore::open(&config.data_dir.join("s3"))
            .map_err(|e| CloudError(format!("cannot open the object store in {}: {e}", config.data_dir.display())))?;
        // Blobs of writes that crashed before their record committed.
        match s3_blobs.collect_garbage(&state.s3.referenced_blobs()) {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} object files no record refers to"),
            Err(e) => return Err(CloudError(format!("cannot clean the object store: {e}"))),
        }
        let cloud = Arc::new(Cloud {
            config,
            store,
            state: RwLock::new(state),
            compat: compat::CompatState::default(),
            commit_order: std::sync::Mutex::new(()),
            kms_root,
            s3_blobs,
            #[cfg(test)]
            test_dir: std::sync::OnceLock::new(),
        });
        cloud.ensure_accounts().await?;
        Ok(cloud)
    }

    pub fn read_state(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write_state(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The configured accounts, plus 123456789012 in the moto compatibility mode.
    fn wanted_accounts(&self) -> Vec<String> {
        let mut ids = self.config.accounts.clone();
        if self.config.compat_moto && !ids.iter().any(|a| a == compat::COMPAT_ACCOUNT) {
            ids.push(compat::COMPAT_ACCOUNT.to_string());
        }
        ids
    }

    async fn ensure_accounts(&self) -> Result<(), CloudError> {
        let mut batch = Batch::default();
        {
            let mut st = self.write_state();
            let now = crate::time::now_secs();
            for id in self.wanted_accounts() {
                if !st.accounts.contains_key(&id) {
                    add_account(&mut st, &mut batch, &id, None, now);
                }
            }
        }
        self.store.commit(batch).await.map_err(|e| CloudError(e.to_string()))?;
        write_root_credentials(&self.config.data_dir, &self.root_credentials())
    }

    /// Wipes everything — every account's IAM entities, access keys, sessions, the trail
    /// and the recorded decisions — in one transaction, then recreates the configured
    /// accounts (and 123456789012 in the moto compatibility mode) with the root keys they
    /// had, so `root-credentials.json` stays valid. Meant for test harnesses
    /// (`POST /moto-api/reset`); requests running concurrently with a reset may leave
    /// their own records behind.
    pub async fn reset(&self) -> Result<(), CloudError> {
        let mut batch = Batch { wipe: true, ..Batch::default() };
        let pending = {
            let _order = self.commit_order.lock().unwrap_or_else(|e| e.into_inner());
            let mut st = self.write_state();
            let now = crate::time::now_secs();
            let old = std::mem::take(&mut *st);
            for id in self.wanted_accounts() {
                let kept = old.accounts.get(&id).and_then(|a| Some((a.clone(), old.keys.get(&a.root_key)?.clone())));
                add_account(&mut st, &mut batch, &id, kept, now);
            }
            drop(st);
            self.store.submit(batch)
        };
        pending.map_err(|e| CloudError(e.to_string()))?.wait().await.map_err(|e| CloudError(e.to_string()))?;
        // Every object is gone with its record; its file goes too.
        let _ = self.s3_blobs.collect_garbage(&self.read_state().s3.referenced_blobs());
        write_root_credentials(&self.config.data_dir, &self.root_credentials())
    }

    /// Every account's root credentials.
    pub fn root_credentials(&self) -> BTreeMap<String, RootCredentials> {
        let st = self.read_state();
        st.accounts
            .values()
            .filter_map(|a| {
                let k = st.keys.get(&a.root_key)?;
                Some((a.id.clone(), RootCredentials { access_key_id: k.id.clone(), secret_access_key: k.secret.clone() }))
            })
            .collect()
    }
}

/// Adds an account with its root key (the given one, or a new one) to memory and a batch.
fn add_account(st: &mut State, batch: &mut Batch, id: &str, kept: Option<(Account, AccessKey)>, now: i64) {
    let (account, key) = kept.unwrap_or_else(|| {
        let key = AccessKey {
            id: crate::ids::aws_id("AKIA"),
            secret: crate::ids::secret_key(),
            owner: KeyOwner::Root { account: id.to_string() },
            status: "Active".into(),
            created: now,
            last_used: None,
        };
        (Account { id: id.to_string(), root_key: key.id.clone(), created: now }, key)
    });
    state::put(batch, state::access_key_key(&key.id), &key);
    state::put(batch, state::account_key(id), &account);
    st.keys.insert(key.id.clone(), key);
    st.accounts.insert(id.to_string(), account);
    st.iam.entry(id.to_string()).or_default();
}

fn write_root_credentials(dir: &Path, creds: &BTreeMap<String, RootCredentials>) -> Result<(), CloudError> {
    let path = dir.join(ROOT_CREDENTIALS_FILE);
    let tmp = dir.join(format!("{ROOT_CREDENTIALS_FILE}.tmp"));
    let text = serde_json::to_string_pretty(creds).map_err(|e| CloudError(e.to_string()))?;
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
        }
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| CloudError(format!("cannot write {}: {e}", path.display())))
}

/// Reads `root-credentials.json` from a data directory.
pub fn read_root_credentials(dir: &Path) -> Result<BTreeMap<String, RootCredentials>, CloudError> {
    let path = dir.join(ROOT_CREDENTIALS_FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| CloudError(format!("cannot read {}: {e} (has `edgeward cloud serve` run with this --data-dir?)", path.display())))?;
    serde_json::from_str(&text).map_err(|e| CloudError(format!("{} is not valid: {e}", path.display())))
}

/// Starts the cloud and serves until the process ends.
pub async fn run(config: Config) -> Result<(), CloudError> {
    let listen = config.listen;
    let data_dir = config.data_dir.clone();
    let cloud = Cloud::open(config).await?;
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| CloudError(format!("cannot listen on {listen}: {e}")))?;
    let accounts: Vec<String> = cloud.read_state().accounts.keys().cloned().collect();
    tracing::info!(
        "edgeward cloud listening on http://{} (data in {}, accounts {}, region {})",
        listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        data_dir.display(),
        accounts.join(","),
        cloud.config.region
    );
    tokio::select! {
        served = http::serve(cloud.clone(), listener) => served.map_err(|e| CloudError(format!("the listener failed: {e}")))?,
        signal = shutdown_signal() => tracing::info!("{signal}: stopping"),
    }
    // Connections still open end with the runtime; the store closes when the last handle
    // to the cloud goes, after committing what was submitted.
    Ok(())
}

/// Resolves on SIGINT or SIGTERM, naming it.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = tokio::signal::ctrl_c() => "SIGINT",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "interrupt"
    }
}


#[cfg(test)]
pub(crate) use testing::{test_cloud, test_dir, TestDir, TestFile};

/// What unit tests share: temporary directories that remove themselves, and a test cloud.
#[cfg(test)]
mod testing {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use crate::{ids, Cloud, Config};

    /// A fresh, empty directory under the system's temporary directory; removed with
    /// everything in it when dropped.
    pub(crate) fn test_dir(name: &str) -> TestDir {
        let dir = std::env::temp_dir().join(format!("edgeward-{name}-{}", ids::uuid()));
        std::fs::create_dir_all(&dir).expect("a test directory");
        TestDir(dir)
    }

    pub(crate) struct TestDir(PathBuf);

    impl TestDir {
        /// The path of `name` inside the directory, which lives as long as the path does.
        pub(crate) fn file(self, name: &str) -> TestFile {
            TestFile { path: self.0.join(name), _dir: self }
        }
    }

    impl std::ops::Deref for TestDir {
        type Target = Path;

        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TestDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A path inside a [`TestDir`], which it keeps (and so removes when dropped).
    pub(crate) struct TestFile {
        path: PathBuf,
        _dir: TestDir,
    }

    impl std::ops::Deref for TestFile {
        type Target = Path;

        fn deref(&self) -> &Path {
            &self.path
        }
    }

    impl AsRef<Path> for TestFile {
        fn as_ref(&self) -> &Path {
            &self.path
        }
    }

    /// A cloud in a fresh temporary data directory, removed once the cloud is dropped.
    pub(crate) fn test_cloud(rt: &tokio::runtime::Runtime, accounts: &[&str], compat_moto: bool) -> Arc<Cloud> {
        let dir = test_dir("cloud");
        let config = Config {
            data_dir: dir.to_path_buf(),
            listen: "127.0.0.1:0".parse().expect("a socket address"),
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            region: "us-east-1".into(),
            compat_moto,
        };
        let cloud = rt.block_on(Cloud::open(config)).expect("a test cloud opens");
        let _ = cloud.test_dir.set(dir);
        cloud
    }
}
