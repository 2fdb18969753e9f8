//! Helpers shared by the CLI tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

pub fn edgeward(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgeward")).args(args).current_dir(repo_root()).output().expect("run edgeward")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `text` to a fresh temporary file (under cargo's temporary directory for tests,
/// inside the target directory) and returns its path.
pub fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("edgeward-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// An `edgeward cloud serve` process on a free loopback port with its own data directory;
/// killed when dropped.
pub struct Server {
    pub child: std::process::Child,
    pub port: u16,
    pub data_dir: PathBuf,
}

impl Server {
    /// Starts a server with accounts 111111111111, 222222222222 and 333333333333.
    pub fn start(name: &str) -> Server {
        let data_dir = std::env::temp_dir().join(format!("edgeward-it-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data_dir);
        Server::start_in(data_dir)
    }

    /// Starts a server like `start`, with extra `cloud serve` arguments (e.g. `--compat moto`).
    pub fn start_with(name: &str, extra_args: &[&str]) -> Server {
        let data_dir = std::env::temp_dir().join(format!("edgeward-it-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data_dir);
        Server::start_in_with(data_dir, extra_args)
    }

    /// Starts (or restarts) a server on an existing data directory.
    pub fn start_in(data_dir: PathBuf) -> Server {
        Server::start_in_with(data_dir, &[])
    }

    fn start_in_with(data_dir: PathBuf, extra_args: &[&str]) -> Server {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_edgeward"))
            .args(["cloud", "serve", "--data-dir"])
            .arg(&data_dir)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--accounts", "111111111111,222222222222,333333333333"])
            .args(extra_args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start edgeward cloud serve");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "the server did not start listening on {port}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Server { child, port, data_dir }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the process as `kill -9` would, keeping the data directory.
    pub fn kill(mut self) -> PathBuf {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::take(&mut self.data_dir)
    }

    /// Runs a Python client script from conformance/clients with the server's endpoint and
    /// data directory in its environment; returns its output.
    pub fn run_python(&self, script: &str) -> Output {
        self.python_command(script).output().expect("run python")
    }

    /// The command `run_python` runs, to add environment or to spawn it.
    pub fn python_command(&self, script: &str) -> Command {
        let mut cmd = Command::new(python());
        cmd
            .arg(repo_root().join("conformance/clients").join(script))
            .env("EDGEWARD_ENDPOINT", self.endpoint())
            .env("EDGEWARD_DATA_DIR", &self.data_dir)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("EDGEWARD_BIN", env!("CARGO_BIN_EXE_edgeward"))
            .env("PATH", format!("{}:{}", python().parent().unwrap().display(), std::env::var("PATH").unwrap_or_default()));
        cmd
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.data_dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The Python interpreter of a virtual environment holding the pinned real clients
/// (`conformance/clients/requirements.txt`: boto3 and the aws CLI), created on first use.
/// A file lock keeps concurrent tests from building it twice.
pub fn python() -> PathBuf {
    let root = repo_root();
    let env = root.join("target/edgeward-pyenv");
    let py = env.join("bin/python");
    let stamp = env.join(".installed");
    let reqs = std::fs::read_to_string(root.join("conformance/clients/requirements.txt")).unwrap();
    std::fs::create_dir_all(root.join("target")).unwrap();
    let lock = std::fs::File::create(root.join("target/edgeward-pyenv.lock")).unwrap();
    lock.lock().unwrap();
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(reqs.as_str()) {
        let ok = Command::new("python3").args(["-m", "venv"]).arg(&env).status().unwrap().success();
        assert!(ok, "python3 -m venv failed");
        let ok = Command::new(&py)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(root.join("conformance/clients/requirements.txt"))
            .status()
            .unwrap()
            .success();
        assert!(ok, "pip install of the client requirements failed");
        std::fs::write(&stamp, &reqs).unwrap();
    }
    lock.unlock().unwrap();
    py
}
