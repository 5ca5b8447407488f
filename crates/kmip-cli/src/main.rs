//! `kmipctl`: talk KMIP to a server over mutual TLS. Thin: parse the flags, pick the endpoint,
//! run one command from [`kmip_cli::commands`], print a table or JSON.
//!
//! Exit status: 0 on success, 1 when the server refuses (the message names the Result Reason),
//! 2 for a usage error (clap's convention).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use kmip_cli::commands;
use kmip_cli::profile::Profile;
use kmip_cli::{Client, ClientError, Endpoint};
use kmip_proto::ProtocolVersion;
use kmip_proto::dict::{BlockCipherMode, CryptographicAlgorithm, KeyFormatType, Operation, RevocationReasonCode};
use serde_json::Value;

#[derive(Debug, Parser)]
#[command(name = "kmipctl", version, about = "A mutual-TLS KMIP client")]
struct Cli {
    #[command(flatten)]
    connection: Connection,
    /// Print JSON rather than a table.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

/// Where and as whom to connect. Flags beat environment variables, which beat the profile.
#[derive(Debug, Args)]
struct Connection {
    /// A profile file (TOML: host, port, cert, key, ca).
    #[arg(long, env = "KMIPCTL_PROFILE", global = true)]
    profile: Option<PathBuf>,
    /// Server host (also the name its certificate must carry) [default: localhost].
    #[arg(long, env = "KMIPCTL_HOST", global = true)]
    host: Option<String>,
    /// Server port [default: 5696].
    #[arg(long, env = "KMIPCTL_PORT", global = true)]
    port: Option<u16>,
    /// Client certificate (PEM).
    #[arg(long, env = "KMIPCTL_CERT", global = true)]
    cert: Option<PathBuf>,
    /// Client private key (PEM).
    #[arg(long, env = "KMIPCTL_KEY", global = true)]
    key: Option<PathBuf>,
    /// CA that signed the server certificate (PEM).
    #[arg(long, env = "KMIPCTL_CA", global = true)]
    ca: Option<PathBuf>,
    /// KMIP protocol version of the requests.
    #[arg(long, env = "KMIPCTL_KMIP_VERSION", global = true, default_value = "2.1")]
    kmip_version: ProtocolVersion,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The client health registry of a kmipd node (its HTTPS side API, an operator token):
    /// each client identity's KMIP versions, last success, last error, certificate expiry.
    Clients {
        /// The side API's base URL; its certificate must verify against the CA.
        #[arg(long, env = "KMIPCTL_API", default_value = "https://localhost:8000")]
        api: String,
        /// An operator token (`operator = true` in the server's `[[http.tokens]]`).
        #[arg(long, env = "KMIPCTL_TOKEN", hide_env_values = true)]
        token: String,
    },
    /// The protocol versions the server speaks.
    Discover,
    /// The operations and object types the server supports.
    Query,
    /// Create a symmetric key.
    Create {
        #[arg(long, value_enum, default_value = "aes")]
        algorithm: Algorithm,
        /// Key length in bits.
        #[arg(long, default_value_t = 256)]
        length: i32,
        /// A Name for the key.
        #[arg(long)]
        name: Option<String>,
        /// Activate it right away.
        #[arg(long)]
        activate: bool,
    },
    /// Create a key pair: by default one that signs and verifies.
    CreateKeyPair {
        #[arg(long, value_enum, default_value = "rsa")]
        algorithm: PairAlgorithm,
        /// RSA modulus length in bits.
        #[arg(long, default_value_t = 2048)]
        length: i32,
        /// An RSA pair that encrypts and decrypts, rather than signs and verifies.
        #[arg(long)]
        encryption: bool,
        /// A Name for both keys.
        #[arg(long)]
        name: Option<String>,
        /// Activate both right away.
        #[arg(long)]
        activate: bool,
    },
    /// Register a symmetric key (raw bytes) or a secret (password) from a file.
    Register {
        /// The file with the bytes ("-" for standard input).
        file: PathBuf,
        /// Register Secret Data rather than an AES key.
        #[arg(long)]
        secret: bool,
        #[arg(long)]
        name: Option<String>,
    },
    /// Get an object; its bytes are written only to --out, never printed.
    Get {
        uid: String,
        /// Write the key bytes to this file (mode 0600).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The key format to ask the server for.
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Write PEM text rather than DER bytes (certificates, PKCS#1, PKCS#8, X.509 keys).
        #[arg(long, requires = "out")]
        pem: bool,
    },
    /// Get an object's attributes (all, or the named ones).
    Attributes { uid: String, names: Vec<String> },
    /// Set a text attribute (Name, Object Group, Description, x-vendor ...).
    SetAttribute { uid: String, attribute: String, value: String },
    /// Delete an attribute.
    DeleteAttribute { uid: String, attribute: String },
    /// Find objects by name and/or group.
    Locate {
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        group: Option<String>,
        #[arg(long)]
        max: Option<i32>,
    },
    /// Activate an object.
    Activate { uid: String },
    /// Revoke an object.
    Revoke {
        uid: String,
        #[arg(long, value_enum, default_value = "cessation-of-operation")]
        reason: Reason,
    },
    /// Destroy an object.
    Destroy { uid: String },
    /// Replace a key with a new one (ReKey); for a rotating key, rotate it now.
    #[command(visible_alias = "rotate")]
    Rekey { uid: String },
    /// Encrypt a file with a server key; prints the ciphertext, IV and tag in hex.
    Encrypt {
        uid: String,
        file: PathBuf,
        #[arg(long, value_enum, default_value = "gcm")]
        mode: Mode,
    },
    /// Decrypt hex ciphertext with a server key; writes the plaintext to --out or stdout.
    Decrypt {
        uid: String,
        /// Ciphertext, hex.
        data: String,
        #[arg(long, value_enum, default_value = "gcm")]
        mode: Mode,
        /// IV or nonce, hex.
        #[arg(long)]
        iv: Option<String>,
        /// GCM tag, hex.
        #[arg(long)]
        tag: Option<String>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// HMAC a file with a server key.
    Mac { uid: String, file: PathBuf },
    /// Rotation state of a key, or turn its automatic rotation on or off; `rotation schedule`
    /// lists the client's rotating keys by next rotation.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Rotation {
        #[command(subcommand)]
        list: Option<RotationList>,
        #[arg(required = true)]
        uid: Option<String>,
        /// Rotate automatically every this many days (30 to 365).
        #[arg(long, conflicts_with = "off")]
        every_days: Option<u32>,
        /// Stop automatic rotation.
        #[arg(long)]
        off: bool,
    },
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Algorithm {
    Aes,
    HmacSha256,
}

#[derive(Debug, Subcommand)]
enum RotationList {
    /// The client's keys with automatic rotation on, by next rotation.
    Schedule {
        /// How far ahead, in days.
        #[arg(long, default_value_t = 30)]
        within_days: u32,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PairAlgorithm {
    Rsa,
    EcP256,
    EcP384,
    Ed25519,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Raw,
    Pkcs1,
    Pkcs8,
    X509,
    EcPrivateKey,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Mode {
    Gcm,
    Cbc,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Reason {
    Unspecified,
    KeyCompromise,
    Superseded,
    CessationOfOperation,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Completions { shell } = cli.command {
        clap_complete::generate(shell, &mut Cli::command(), "kmipctl", &mut std::io::stdout());
        return ExitCode::SUCCESS;
    }
    if let Command::Clients { api, token } = &cli.command {
        return match clients(&cli.connection, api, token) {
            Ok(page) if cli.json => {
                println!("{page}");
                ExitCode::SUCCESS
            }
            Ok(page) => {
                print!("{}", kmip_cli::side_api::clients_table(&page));
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("kmipctl: {error}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&cli) {
        Ok(value) => {
            print(&value, cli.json);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("kmipctl: {error}");
            ExitCode::FAILURE
        }
    }
}

fn endpoint(c: &Connection) -> Result<Endpoint, String> {
    let profile = c.profile.as_deref().map(Profile::read).transpose()?.unwrap_or_default();
    let file = |flag: &Option<PathBuf>, from_profile: Option<PathBuf>, what: &str| {
        flag.clone()
            .or(from_profile)
            .ok_or_else(|| format!("no {what}: pass --{what}, set KMIPCTL_{}, or use --profile", what.to_uppercase()))
    };
    Ok(Endpoint {
        host: c.host.clone().or(profile.host).unwrap_or_else(|| "localhost".into()),
        port: c.port.or(profile.port).unwrap_or(5696),
        cert: file(&c.cert, profile.cert, "cert")?,
        key: file(&c.key, profile.key, "key")?,
        ca: file(&c.ca, profile.ca, "ca")?,
    })
}

/// `kmipctl clients`: the side API's `GET /v1/clients`, the server verified against the
/// same CA as for KMIP.
fn clients(c: &Connection, api: &str, token: &str) -> Result<Value, String> {
    let profile = c.profile.as_deref().map(Profile::read).transpose()?.unwrap_or_default();
    let ca = c.ca.clone().or(profile.ca).ok_or("no ca: pass --ca, set KMIPCTL_CA, or use --profile")?;
    kmip_cli::side_api::get(api, "/v1/clients", token, &ca)
}

fn read_input(path: &Path) -> Result<Vec<u8>, String> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| format!("stdin: {e}"))?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes secret bytes to a file only its owner can read.
fn write_secret(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    file.write_all(bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn unhex(what: &str, text: &str) -> Result<Vec<u8>, String> {
    hex::decode(text).map_err(|e| format!("{what} is not hex: {e}"))
}

fn run(cli: &Cli) -> Result<Value, String> {
    let mut client = Client::connect(&endpoint(&cli.connection)?).map_err(|e| e.to_string())?;
    let v = cli.connection.kmip_version;
    let refused = |e: ClientError| e.to_string();
    let c = &mut client;
    Ok(match &cli.command {
        Command::Discover => commands::discover(c, v).map_err(refused)?,
        Command::Query => commands::query(c, v).map_err(refused)?,
        Command::Create { algorithm, length, name, activate } => {
            let algorithm = match algorithm {
                Algorithm::Aes => CryptographicAlgorithm::AES,
                Algorithm::HmacSha256 => CryptographicAlgorithm::HMAC_SHA256,
            };
            commands::create(c, v, algorithm, *length, name.as_deref(), *activate).map_err(refused)?
        }
        Command::Register { file, secret, name } => {
            commands::register(c, v, *secret, read_input(file)?, name.as_deref()).map_err(refused)?
        }
        Command::CreateKeyPair { algorithm, length, encryption, name, activate } => {
            let kind = match algorithm {
                PairAlgorithm::Rsa => commands::PairKind::Rsa(*length),
                PairAlgorithm::EcP256 => commands::PairKind::EcP256,
                PairAlgorithm::EcP384 => commands::PairKind::EcP384,
                PairAlgorithm::Ed25519 => commands::PairKind::Ed25519,
            };
            commands::create_key_pair(c, v, kind, *encryption, name.as_deref(), *activate).map_err(refused)?
        }
        Command::Get { uid, out, format, pem } => {
            let format = format.map(|f| match f {
                Format::Raw => KeyFormatType::RAW,
                Format::Pkcs1 => KeyFormatType::PKCS_1,
                Format::Pkcs8 => KeyFormatType::PKCS_8,
                Format::X509 => KeyFormatType::X_509,
                Format::EcPrivateKey => KeyFormatType::EC_PRIVATE_KEY,
            });
            let (summary, fetched) = commands::get(c, v, uid, format).map_err(refused)?;
            if let (Some(out), Some(fetched)) = (out, fetched) {
                let bytes = match pem {
                    false => fetched.bytes,
                    true => fetched.to_pem().ok_or("this object has no PEM form: ask for --format pkcs8 or x509")?,
                };
                write_secret(out, bytes.secret_bytes())?;
            }
            summary
        }
        Command::Attributes { uid, names } => commands::attributes(c, v, uid, names).map_err(refused)?,
        Command::SetAttribute { uid, attribute, value } => {
            commands::set_attribute(c, v, uid, attribute, value).map_err(refused)?
        }
        Command::DeleteAttribute { uid, attribute } => {
            commands::delete_attribute(c, v, uid, attribute).map_err(refused)?
        }
        Command::Locate { name, group, max } => {
            commands::locate(c, v, name.as_deref(), group.as_deref(), *max).map_err(refused)?
        }
        Command::Activate { uid } => commands::uid_operation(c, v, Operation::ACTIVATE, uid).map_err(refused)?,
        Command::Destroy { uid } => commands::uid_operation(c, v, Operation::DESTROY, uid).map_err(refused)?,
        Command::Revoke { uid, reason } => {
            let code = match reason {
                Reason::Unspecified => RevocationReasonCode::UNSPECIFIED,
                Reason::KeyCompromise => RevocationReasonCode::KEY_COMPROMISE,
                Reason::Superseded => RevocationReasonCode::SUPERSEDED,
                Reason::CessationOfOperation => RevocationReasonCode::CESSATION_OF_OPERATION,
            };
            commands::revoke(c, v, uid, code).map_err(refused)?
        }
        Command::Rekey { uid } => commands::rekey(c, v, uid).map_err(refused)?,
        Command::Encrypt { uid, file, mode } => {
            let (mut summary, ciphertext) =
                commands::encrypt(c, v, uid, cipher_mode(*mode), read_input(file)?).map_err(refused)?;
            summary["data"] = Value::String(hex::encode(ciphertext));
            summary
        }
        Command::Decrypt { uid, data, mode, iv, tag, out } => {
            let iv = iv.as_deref().map(|t| unhex("--iv", t)).transpose()?;
            let tag = tag.as_deref().map(|t| unhex("--tag", t)).transpose()?;
            let (summary, plaintext) =
                commands::decrypt(c, v, uid, cipher_mode(*mode), unhex("data", data)?, iv, tag).map_err(refused)?;
            match out {
                Some(out) => write_secret(out, plaintext.secret_bytes())?,
                // Asked for on stdout: the caller chose where the plaintext goes.
                None => std::io::stdout().write_all(plaintext.secret_bytes()).map_err(|e| e.to_string())?,
            }
            if out.is_none() {
                return Ok(Value::Null);
            }
            summary
        }
        Command::Mac { uid, file } => commands::mac(c, v, uid, read_input(file)?).map_err(refused)?,
        Command::Rotation { list: Some(RotationList::Schedule { within_days }), .. } => {
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
            commands::rotation_schedule(c, i64::from(*within_days) * 86_400, now).map_err(refused)?
        }
        Command::Rotation { uid, every_days, off, .. } => {
            let uid = uid.as_deref().ok_or("rotation needs a key's UID, or `schedule`")?;
            match (every_days, off) {
                (None, false) => commands::rotation_status(c, uid).map_err(refused)?,
                (days, _) => commands::rotation_set(c, uid, *days).map_err(refused)?,
            }
        }
        Command::Completions { .. } | Command::Clients { .. } => unreachable!("handled before connecting"),
    })
}

fn cipher_mode(mode: Mode) -> BlockCipherMode {
    match mode {
        Mode::Gcm => BlockCipherMode::GCM,
        Mode::Cbc => BlockCipherMode::CBC,
    }
}

/// A table for people: one `key  value` row per field; lists one item per row.
fn print(value: &Value, json: bool) {
    if value.is_null() {
        return;
    }
    if json {
        println!("{value}");
        return;
    }
    let Value::Object(fields) = value else {
        println!("{value}");
        return;
    };
    let width = fields.keys().map(String::len).max().unwrap_or(0);
    for (key, field) in fields {
        let rows: Vec<String> = match field {
            Value::Array(items) => items.iter().map(text).collect(),
            other => vec![text(other)],
        };
        for (i, row) in rows.iter().enumerate() {
            let label = if i == 0 { key.as_str() } else { "" };
            println!("{label:<width$}  {row}");
        }
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}
