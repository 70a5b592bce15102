//! The private PostgreSQL cluster Peiyu runs when no `DATABASE_URL` is given, so that a
//! newcomer's `peiyu serve` and `cargo test` need no manual database set-up.
//!
//! Layout of the data directory (`PEIYU_DATA_DIR`, default `.peiyu/`):
//! - `postgres/`          the cluster (owned by the `postgres` account when we are root);
//! - `postgres.password`  the generated password of the `peiyu` database role;
//! - `postgres.lock`      held while one process initialises or starts the cluster.
//!
//! The cluster belongs to the process that started it. A second process on the same data
//! directory (say `peiyu user create` beside `peiyu serve`) finds it running, connects,
//! and leaves it running; only the starter stops it: on drop, or, should the starter die
//! without unwinding, through a small watchdog that outlives it.

use diesel::{Connection, PgConnection, RunQueryDsl};
use std::fs::{self, File};
use std::io;
use std::net::TcpListener;
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

/// The role and database the application uses inside the private cluster.
pub const ROLE: &str = "peiyu";
pub const DATABASE: &str = "peiyu";
/// PostgreSQL refuses to run as root; the account Debian's package creates runs it instead.
const SERVICE_ACCOUNT: &str = "postgres";

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin: \
         install them (apt-get install postgresql) or set DATABASE_URL to an existing server"
    )]
    NoBinaries,
    #[error(
        "PostgreSQL refuses to run as root and there is no `{SERVICE_ACCOUNT}` account to run it as: \
         apt-get install postgresql creates one; or set DATABASE_URL"
    )]
    NoServiceAccount,
    #[error(
        "the `{SERVICE_ACCOUNT}` account can reach neither {0} nor /var/lib/peiyu: set PEIYU_DATA_DIR \
         to a directory it can enter, or set DATABASE_URL"
    )]
    Unreachable(PathBuf),
    #[error("{command} failed: {detail}")]
    Command { command: String, detail: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("creating database {DATABASE}: {0}")]
    Database(String),
}

/// What happens to a cluster this process starts once the process is done with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// Stop it when this process ends (normal commands and `cargo test`).
    Process,
    /// Leave it running for the processes that come after (nextest runs every test in a
    /// process of its own, so the first test's process must not take the cluster down).
    Detached,
}

pub struct EmbeddedCluster {
    bin: PathBuf,
    pgdata: PathBuf,
    run_as: Option<String>,
    port: u16,
    password: String,
    owned: bool,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> EmbeddedError + '_ {
    move |source| EmbeddedError::Io { path: path.to_owned(), source }
}

impl EmbeddedCluster {
    /// Makes sure the cluster in `data_dir` exists and runs, creating and starting it if
    /// needed, and that the application database exists.
    pub fn start(data_dir: &Path, lifetime: Lifetime) -> Result<Self, EmbeddedError> {
        let run_as = service_account()?;
        let data_dir = cluster_home(&std::path::absolute(data_dir).map_err(io_err(data_dir))?, run_as.as_deref())?;
        let lock_path = data_dir.join("postgres.lock");
        let lock = File::create(&lock_path).map_err(io_err(&lock_path))?;
        // Two processes starting at once must not both run initdb or pg_ctl start.
        lock.lock().map_err(io_err(&lock_path))?;

        let mut cluster = Self {
            bin: find_binaries().ok_or(EmbeddedError::NoBinaries)?,
            pgdata: data_dir.join("postgres"),
            run_as,
            port: 0,
            password: String::new(),
            owned: false,
        };
        let began = Instant::now();
        cluster.password = cluster.load_or_create_password(&data_dir.join("postgres.password"))?;
        if !cluster.pgdata.join("PG_VERSION").exists() {
            cluster.initdb(&data_dir.join("postgres.password"))?;
        }
        match cluster.running_port()? {
            Some(port) => cluster.port = port,
            None => {
                cluster.port = cluster.start_server()?;
                cluster.owned = lifetime == Lifetime::Process;
                if cluster.owned {
                    cluster.spawn_watchdog()?;
                }
                tracing::info!(
                    data_dir = %cluster.pgdata.display(),
                    port = cluster.port,
                    elapsed_ms = began.elapsed().as_millis() as u64,
                    "started private PostgreSQL cluster"
                );
            }
        }
        cluster.ensure_database()?;
        drop(lock);
        Ok(cluster)
    }

    /// A libpq URL for `database` in this cluster.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{ROLE}:{}@127.0.0.1:{}/{database}", self.password, self.port)
    }

    /// Whether this process started the cluster and will stop it.
    pub fn is_owner(&self) -> bool {
        self.owned
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        match &self.run_as {
            Some(account) => {
                let mut command = Command::new("runuser");
                command.args(["-u", account, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }

    fn run(&self, mut command: Command) -> Result<Output, EmbeddedError> {
        let described = format!("{command:?}");
        let output = command
            .stdin(Stdio::null())
            .output()
            .map_err(|e| EmbeddedError::Command { command: described.clone(), detail: e.to_string() })?;
        if output.status.success() {
            Ok(output)
        } else {
            let detail = String::from_utf8_lossy(&output.stderr).trim().to_owned();
            Err(EmbeddedError::Command { command: described, detail })
        }
    }

    /// Hands a path we created to the account that runs the server.
    fn give_to_service_account(&self, path: &Path) -> Result<(), EmbeddedError> {
        if let Some(account) = &self.run_as {
            let user = nix::unistd::User::from_name(account).ok().flatten().ok_or(EmbeddedError::NoServiceAccount)?;
            chown(path, Some(user.uid.as_raw()), Some(user.gid.as_raw())).map_err(io_err(path))?;
        }
        Ok(())
    }

    fn load_or_create_password(&self, path: &Path) -> Result<String, EmbeddedError> {
        match fs::read_to_string(path) {
            Ok(password) => Ok(password.trim().to_owned()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let password = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
                fs::write(path, &password).map_err(io_err(path))?;
                fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io_err(path))?;
                // initdb, running as the service account, reads it.
                self.give_to_service_account(path)?;
                Ok(password)
            }
            Err(e) => Err(io_err(path)(e)),
        }
    }

    fn initdb(&self, password_file: &Path) -> Result<(), EmbeddedError> {
        let pgdata = &self.pgdata;
        if pgdata.exists() {
            // A previous initdb died half-way; it refuses a non-empty directory.
            fs::remove_dir_all(pgdata).map_err(io_err(pgdata))?;
        }
        fs::create_dir(pgdata).map_err(io_err(pgdata))?;
        fs::set_permissions(pgdata, fs::Permissions::from_mode(0o700)).map_err(io_err(pgdata))?;
        self.give_to_service_account(pgdata)?;
        let mut initdb = self.command("initdb");
        initdb
            .arg("-D")
            .arg(pgdata)
            .args(["-U", ROLE, "-A", "scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"])
            .arg(format!("--pwfile={}", password_file.display()));
        self.run(initdb)?;
        // Only loopback TCP: no socket file to place, nothing reachable from outside.
        let conf = pgdata.join("postgresql.conf");
        let mut settings = fs::read_to_string(&conf).map_err(io_err(&conf))?;
        settings.push_str(
            "\n# Peiyu's private cluster\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n\
             max_connections = 200\n",
        );
        fs::write(&conf, settings).map_err(io_err(&conf))
    }

    /// The port of a postmaster already serving this data directory. One that is still
    /// starting is waited for; one that is shutting down (its owner just exited) is waited
    /// out, and then there is none.
    fn running_port(&self) -> Result<Option<u16>, EmbeddedError> {
        for _ in 0..600 {
            let mut status = self.command("pg_ctl");
            status.arg("status").arg("-D").arg(&self.pgdata);
            if self.run(status).is_err() {
                return Ok(None);
            }
            // postmaster.pid: line 4 is the port, line 8 the server's state.
            if self.postmaster_pid_line(7)?.as_deref() == Some("ready") {
                return Ok(self.postmaster_pid_line(3)?.and_then(|p| p.parse().ok()));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Err(EmbeddedError::Command {
            command: "pg_ctl status".into(),
            detail: format!("the server in {} neither became ready nor stopped", self.pgdata.display()),
        })
    }

    fn postmaster_pid_line(&self, index: usize) -> Result<Option<String>, EmbeddedError> {
        let path = self.pgdata.join("postmaster.pid");
        match fs::read_to_string(&path) {
            Ok(text) => Ok(text.lines().nth(index).map(|l| l.trim().to_owned())),
            // Gone between `pg_ctl status` and here: the server has just stopped.
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    fn start_server(&self) -> Result<u16, EmbeddedError> {
        let mut last_error = None;
        // A free port can be taken between our probe and the server's bind: retry.
        for _ in 0..3 {
            let port = free_port().map_err(io_err(&self.pgdata))?;
            match self.start_on(port) {
                Ok(()) => return Ok(port),
                Err(e) => last_error = Some(e),
            }
        }
        let tail = fs::read_to_string(self.pgdata.join("server.log")).unwrap_or_default();
        let tail: Vec<_> = tail.lines().rev().take(5).collect();
        Err(EmbeddedError::Command {
            command: "pg_ctl start".into(),
            detail: format!(
                "{}; server log: {}",
                last_error.map(|e| e.to_string()).unwrap_or_default(),
                tail.join(" | ")
            ),
        })
    }

    fn start_on(&self, port: u16) -> Result<(), EmbeddedError> {
        let mut start = self.command("pg_ctl");
        start
            .arg("start")
            .arg("-D")
            .arg(&self.pgdata)
            .arg("-l")
            .arg(self.pgdata.join("server.log"))
            .args(["-w", "-t", "60", "-o", &format!("-p {port}")])
            // Its own process group: Ctrl-C in our terminal must reach us, not the
            // server, so requests in flight can drain before the database goes.
            .process_group(0);
        self.run(start).map(drop)
    }

    /// Stops the server (fast shutdown: sessions are cut, committed work stays) and
    /// starts it again on the same port after `down_for`: a database outage as the
    /// application's pool meets it. For the outage test.
    pub fn restart(&self, down_for: std::time::Duration) -> Result<(), EmbeddedError> {
        self.stop()?;
        std::thread::sleep(down_for);
        self.start_on(self.port)
    }

    /// Stops the server when this process is gone, however it ended.
    fn spawn_watchdog(&self) -> Result<(), EmbeddedError> {
        let postmaster = self.postmaster_pid_line(0)?.unwrap_or_default();
        if postmaster.is_empty() {
            return Ok(());
        }
        // SIGINT is PostgreSQL's fast shutdown; the postmaster's PID (not pg_ctl stop)
        // makes sure a cluster someone else starts later is left alone.
        Command::new("sh")
            .args(["-c", r#"while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -INT "$2" 2>/dev/null"#])
            .args(["peiyu-postgres-watchdog", &std::process::id().to_string(), &postmaster])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(io_err(&self.pgdata))?;
        Ok(())
    }

    fn ensure_database(&self) -> Result<(), EmbeddedError> {
        let error = |e: &dyn std::fmt::Display| EmbeddedError::Database(e.to_string());
        let mut conn = PgConnection::establish(&self.url("postgres")).map_err(|e| error(&e))?;
        let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{DATABASE}')"
        )))
        .get_result(&mut conn)
        .map_err(|e| error(&e))?;
        if !exists {
            diesel::sql_query(format!("CREATE DATABASE {DATABASE}")).execute(&mut conn).map_err(|e| error(&e))?;
        }
        Ok(())
    }

    /// Stops the cluster now if this process owns it (what dropping it does). For owners
    /// that are never dropped, such as a test harness's static, at process exit.
    pub fn stop_if_owner(&mut self) {
        if std::mem::take(&mut self.owned) {
            match self.stop() {
                Ok(()) => tracing::info!("stopped private PostgreSQL cluster"),
                Err(e) => tracing::warn!(error = %e, "could not stop private PostgreSQL cluster"),
            }
        }
    }

    fn stop(&self) -> Result<(), EmbeddedError> {
        let mut stop = self.command("pg_ctl");
        stop.arg("stop").arg("-D").arg(&self.pgdata).args(["-m", "fast", "-w", "-t", "60"]);
        self.run(stop).map(drop)
    }
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        self.stop_if_owner();
    }
}

/// Where the cluster's files go: the data directory, unless the server's account cannot
/// enter it (root's checkout under /root, say). Then a directory of its own under
/// /var/lib/peiyu, one per data directory, so that `peiyu serve` still just works.
fn cluster_home(data_dir: &Path, run_as: Option<&str>) -> Result<PathBuf, EmbeddedError> {
    fs::create_dir_all(data_dir).map_err(io_err(data_dir))?;
    let Some(account) = run_as else {
        return Ok(data_dir.to_owned());
    };
    let reachable = |dir: &Path| {
        Command::new("runuser").args(["-u", account, "--", "test", "-x"]).arg(dir).status().is_ok_and(|s| s.success())
    };
    if reachable(data_dir) {
        return Ok(data_dir.to_owned());
    }
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(data_dir, &mut hasher);
    let home = Path::new("/var/lib/peiyu").join(format!("{:016x}", std::hash::Hasher::finish(&hasher)));
    fs::create_dir_all(&home).map_err(io_err(&home))?;
    fs::set_permissions("/var/lib/peiyu", fs::Permissions::from_mode(0o755)).map_err(io_err(&home))?;
    if !reachable(&home) {
        return Err(EmbeddedError::Unreachable(data_dir.to_owned()));
    }
    tracing::info!(
        data_dir = %data_dir.display(),
        cluster = %home.display(),
        "the `{SERVICE_ACCOUNT}` account cannot enter the data directory; keeping the cluster here instead"
    );
    Ok(home)
}

fn service_account() -> Result<Option<String>, EmbeddedError> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    match nix::unistd::User::from_name(SERVICE_ACCOUNT) {
        Ok(Some(_)) => Ok(Some(SERVICE_ACCOUNT.to_owned())),
        _ => Err(EmbeddedError::NoServiceAccount),
    }
}

/// A directory holding both `initdb` and `pg_ctl`: PATH first, then Debian's layout
/// (newest major version first).
fn find_binaries() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .filter_map(|dir| fs::canonicalize(dir.join("pg_ctl")).ok())
        .filter_map(|pg_ctl| pg_ctl.parent().map(Path::to_path_buf))
        .find(|dir| has_both(dir));
    on_path.or_else(|| {
        let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
            .filter(|(_, bin)| has_both(bin))
            .collect();
        versions.sort();
        versions.pop().map(|(_, bin)| bin)
    })
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
