//! A real kmipd, spawned on `127.0.0.1:0` with the repository's `config.toml` and a data dir
//! of the test's own, and a mutual-TLS KMIP client to talk to it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kmip_proto::dict::Operation;
use kmip_proto::{ProtocolVersion, RequestMessage, RequestPayload, ResponseBatchItem, ResponseMessage};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use ttlv::{HEADER_LEN, Limits, message_len};

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The dev PKI directory.
pub fn certs() -> PathBuf {
    repo_root().join("certs")
}

/// The kmipd binary beside another binary of the workspace (`env!("CARGO_BIN_EXE_...")` of a
/// package whose tests need a server), built first when only that package's tests were built.
pub fn kmipd_beside(exe: &str) -> PathBuf {
    let path = Path::new(exe).with_file_name(format!("kmipd{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo).args(["build", "-p", "kmipd"]).status().expect("cargo runs");
        assert!(status.success(), "cargo build -p kmipd");
    }
    path
}

/// A kmipd child process; killed when dropped.
#[derive(Debug)]
pub struct Kmipd {
    binary: PathBuf,
    config: PathBuf,
    data_dir: PathBuf,
    /// `RUST_LOG` for a run whose log the test reads (see [`Kmipd::spawn_logged`]).
    log_level: Option<String>,
    extra: Vec<String>,
    child: Option<Child>,
    /// The KMIP listener's address.
    pub addr: SocketAddr,
    /// The HTTPS side API's address.
    pub http_addr: SocketAddr,
    /// What it printed on stdout after its `listening` lines (the audit log), read as it comes
    /// so that the pipe never fills.
    output: Arc<Mutex<Vec<String>>>,
    /// Under `KMIP_TEST_STORE=postgres`, this kmipd's own database (kept across restarts).
    postgres: Option<String>,
}

impl Kmipd {
    /// Starts `binary` (the test's `env!("CARGO_BIN_EXE_kmipd")`) on `data_dir`.
    pub fn spawn(binary: &str, data_dir: &Path) -> Self {
        Self::spawn_with(binary, data_dir, &[])
    }

    /// Starts it with extra arguments.
    pub fn spawn_with(binary: &str, data_dir: &Path, extra: &[&str]) -> Self {
        Self::spawn_config(binary, &repo_root().join("config.toml"), data_dir, extra)
    }

    /// Starts it with a configuration file of the test's own (see [`config_with`]).
    pub fn spawn_config(binary: &str, config: &Path, data_dir: &Path, extra: &[&str]) -> Self {
        let mut kmipd = Kmipd {
            binary: binary.into(),
            config: config.to_owned(),
            data_dir: data_dir.to_owned(),
            log_level: None,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            child: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            output: Arc::default(),
            postgres: None,
        };
        kmipd.start();
        kmipd
    }

    /// The configuration file to start with: the given one, or under
    /// `KMIP_TEST_STORE=postgres` a copy of it on this kmipd's own database.
    fn effective_config(&mut self) -> PathBuf {
        if !crate::postgres::store_is_postgres() {
            return self.config.clone();
        }
        let server = crate::postgres::server_url("the PostgreSQL run").expect("a PostgreSQL server");
        let url = self.postgres.get_or_insert_with(|| crate::postgres::fresh_database(&server, "e2e")).clone();
        std::fs::create_dir_all(&self.data_dir).expect("the data dir");
        let path = self.data_dir.join("kmipd-postgres.toml");
        std::fs::write(&path, crate::postgres::on_postgres(&self.config, &url, 5)).expect("writes the config");
        path
    }

    fn start(&mut self) {
        let config = self.effective_config();
        let mut child = Command::new(&self.binary)
            .arg("--config")
            .arg(&config)
            .args(["--port", "0", "--http-port", "0", "--data-dir"])
            .arg(&self.data_dir)
            .args(&self.extra)
            .env(
                "RUST_LOG",
                self.log_level.clone().or_else(|| std::env::var("KMIPD_LOG").ok()).unwrap_or("warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(if self.log_level.is_some() { Stdio::piped() } else { Stdio::inherit() })
            .spawn()
            .expect("kmipd starts");
        if let Some(stderr) = child.stderr.take() {
            let output = self.output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    output.lock().expect("output lock").push(line);
                }
            });
        }
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout);
        let mut listener = |prefix: &str| {
            let mut line = String::new();
            lines.read_line(&mut line).expect("kmipd prints its addresses");
            let addr = line.trim().strip_prefix(prefix).unwrap_or_else(|| panic!("unexpected line {line:?}"));
            addr.parse::<SocketAddr>().expect("an address")
        };
        self.addr = listener("listening kmip ");
        self.http_addr = listener("listening http ");
        let output = self.output.clone();
        std::thread::spawn(move || {
            for line in lines.lines() {
                let Ok(line) = line else { break };
                output.lock().expect("output lock").push(line);
            }
        });
        self.child = Some(child);
    }

    /// The lines kmipd has printed on stdout so far after its `listening` lines: its audit log
    /// (the repository's config sends it to stdout), across restarts.
    pub fn output(&self) -> Vec<String> {
        self.output.lock().expect("output lock").clone()
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the process with SIGKILL: no shutdown, no flush.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops it as an operator would (SIGTERM) and waits until it has exited and its
    /// output has been read to the end.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let sent = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM");
        let status = child.wait().expect("kmipd exits");
        // The reader thread finishes with the pipe: give it the moment it needs.
        std::thread::sleep(std::time::Duration::from_millis(200));
        status
    }

    /// Kills it and starts it again on the same data dir (on a new port).
    pub fn restart(&mut self) {
        self.kill();
        self.start();
    }

    /// Starts it with `config`, logging at `level` (`trace`...), its log read into
    /// [`Kmipd::output`] with its stdout.
    pub fn spawn_logged(binary: &str, config: &Path, data_dir: &Path, level: &str) -> Self {
        let mut kmipd = Kmipd {
            binary: binary.into(),
            config: config.to_owned(),
            data_dir: data_dir.to_owned(),
            log_level: Some(level.into()),
            extra: Vec::new(),
            child: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            output: Arc::default(),
            postgres: None,
        };
        kmipd.start();
        kmipd
    }

    /// Kills it and starts it again on the same data dir with another configuration file.
    pub fn restart_with_config(&mut self, config: &Path) {
        self.kill();
        self.config = config.to_owned();
        self.start();
    }

    /// A client with the identity `stem` (`client`, `client2`, `bad/expired`...).
    pub fn client(&self, stem: &str) -> Client {
        Client::connect(self.addr, stem).expect("TLS connection")
    }

    /// `GET path` on the HTTPS side API, with no credentials; the status and the body.
    pub fn http_get(&self, path: &str) -> (u16, String) {
        self.http_request("GET", path, &[], "")
    }

    /// A request to the HTTPS side API with these headers and body; the status and the body.
    pub fn http_request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
        let tcp = TcpStream::connect(self.http_addr).expect("the side API accepts");
        tcp.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
        let name = ServerName::try_from("localhost").expect("a name");
        let conn = rustls::ClientConnection::new(client_config("client"), name).expect("TLS");
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
        write!(
            tls,
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("request");
        let mut response = String::new();
        // The server may close without close_notify; what arrived is the answer.
        let _ = tls.read_to_string(&mut response);
        let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status line");
        let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
        (status, body)
    }
}

/// The repository's `config.toml`, with its relative paths made absolute and each
/// `(section header, replacement)` applied: the section and its keys give way to the text.
pub fn config_with(replacements: &[(&str, &str)]) -> String {
    let root = repo_root();
    let mut text = std::fs::read_to_string(root.join("config.toml")).expect("config.toml");
    text = text.replace("\"certs/", &format!("\"{}/certs/", root.display()));
    for (header, body) in replacements {
        let start = text.find(header).unwrap_or_else(|| panic!("no {header} in config.toml"));
        let rest = &text[start + header.len()..];
        let end = rest.find("\n[").map_or(text.len(), |i| start + header.len() + i + 1);
        text.replace_range(start..end, body);
    }
    text
}

impl Drop for Kmipd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A mutual-TLS KMIP client, one request at a time.
#[derive(Debug)]
pub struct Client {
    tls: rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
}

/// The rustls client configuration for an identity from the dev PKI.
pub fn client_config(stem: &str) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(certs().join("ca.pem")).expect("ca.pem") {
        roots.add(ca.expect("a certificate")).expect("a CA");
    }
    let chain: Vec<_> = CertificateDer::pem_file_iter(certs().join(format!("{stem}.pem")))
        .expect("client certificate")
        .map(|c| c.expect("a certificate"))
        .collect();
    let key = PrivateKeyDer::from_pem_file(certs().join(format!("{stem}.key"))).expect("client key");
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .expect("client auth");
    Arc::new(config)
}

impl Client {
    /// Connects and completes the handshake (the server's verdict on the certificate arrives
    /// with the first read, in TLS 1.3, so callers that test refusal should send a request).
    pub fn connect(addr: SocketAddr, stem: &str) -> std::io::Result<Self> {
        let tcp = TcpStream::connect(addr)?;
        tcp.set_read_timeout(Some(Duration::from_secs(20)))?;
        let name = ServerName::try_from("localhost").expect("a name");
        let conn = rustls::ClientConnection::new(client_config(stem), name).map_err(std::io::Error::other)?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock)?;
        }
        Ok(Client { tls })
    }

    /// Sends raw bytes and reads one framed response.
    pub fn round_trip(&mut self, request: &[u8]) -> std::io::Result<Vec<u8>> {
        self.tls.write_all(request)?;
        self.tls.flush()?;
        self.read_message()
    }

    /// Writes raw bytes without waiting for anything.
    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.tls.write_all(bytes)?;
        self.tls.flush()
    }

    /// Reads one framed message.
    pub fn read_message(&mut self) -> std::io::Result<Vec<u8>> {
        let mut header = [0u8; HEADER_LEN];
        self.tls.read_exact(&mut header)?;
        let len = message_len(&header, &Limits::default()).map_err(|e| std::io::Error::other(e.to_string()))?;
        let mut message = vec![0u8; len];
        message[..HEADER_LEN].copy_from_slice(&header);
        self.tls.read_exact(&mut message[HEADER_LEN..])?;
        Ok(message)
    }

    /// Sends a typed request and decodes the response.
    pub fn request(&mut self, request: &RequestMessage) -> ResponseMessage {
        let bytes = self.round_trip(&request.to_ttlv()).expect("a response");
        ResponseMessage::from_ttlv(&bytes, &Limits::default()).expect("the response decodes")
    }

    /// One operation at `version`; returns its batch item.
    pub fn call(
        &mut self,
        version: ProtocolVersion,
        operation: Operation,
        payload: RequestPayload,
    ) -> ResponseBatchItem {
        let mut response = self.request(&message(version, vec![(operation, payload)]));
        assert_eq!(response.header.protocol_version, version, "answered in the request's version");
        response.items.remove(0)
    }
}

impl Client {
    /// The certificate the server presented.
    pub fn peer_certificate(&self) -> Option<Vec<u8>> {
        self.tls.conn.peer_certificates().and_then(|c| c.first()).map(|c| c.to_vec())
    }
}

/// A request message of the given operations (see [`RequestMessage::new`]).
pub fn message(version: ProtocolVersion, operations: Vec<(Operation, RequestPayload)>) -> RequestMessage {
    RequestMessage::new(version, operations)
}
