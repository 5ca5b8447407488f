//! `kmip-bench`: a mutual-TLS KMIP load generator. Each `--op` is a phase, run in order on the
//! same prepared keys; each phase reports ops/s, HDR latency percentiles, errors by Result
//! Reason and, given `--server-pid`, the server's CPU per operation.
//!
//! ```text
//! kmip-bench --port 5696 --cert certs/client.pem --key certs/client.key --ca certs/ca.pem \
//!     --connections 32 --duration 10 --op create --op get --json
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use kmip_cli::{Client, Endpoint};
use kmip_proto::ProtocolVersion;
use serde_json::{Value, json};

use kmip_bench::run::{self, Phase, process_cpu_seconds, process_rss_kib};
use kmip_bench::workload::{self, Op, prepare};

#[derive(Debug, Parser)]
#[command(name = "kmip-bench", version, about = "A mutual-TLS KMIP load generator")]
struct Args {
    #[arg(long, default_value = "localhost")]
    host: String,
    /// The KMIP port; given more than once (several nodes on one host), connections are
    /// spread over the ports in turn, as a TCP load balancer would.
    #[arg(long, default_values_t = [5696])]
    port: Vec<u16>,
    /// Client certificate (PEM).
    #[arg(long)]
    cert: PathBuf,
    /// Client private key (PEM).
    #[arg(long)]
    key: PathBuf,
    /// CA of the server certificate (PEM).
    #[arg(long)]
    ca: PathBuf,
    /// The operations, one phase each, in order.
    #[arg(long = "op", value_enum, required = true)]
    ops: Vec<Op>,
    /// Concurrent connections (each a task on the client's runtime).
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Threads of the client's runtime, which the connections share [default: the cores].
    #[arg(long)]
    client_threads: Option<usize>,
    /// Open a new mutual-TLS connection for every request.
    #[arg(long)]
    connect_per_request: bool,
    /// Seconds per phase (unless --operations is given).
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Operations per phase (instead of a duration; required for activate, destroy, rekey).
    #[arg(long)]
    operations: Option<u64>,
    /// Warm-up seconds before each phase whose operation does not consume keys.
    #[arg(long, default_value_t = 1)]
    warmup: u64,
    /// Keys to prepare for Get, GetAttributes, Locate, Encrypt and Decrypt.
    #[arg(long, default_value_t = 1000)]
    keys: usize,
    /// KMIP protocol version of the requests.
    #[arg(long, default_value = "2.1")]
    kmip_version: ProtocolVersion,
    /// The server's process id, to report its CPU time per operation (more than once: the
    /// nodes' CPU time together).
    #[arg(long)]
    server_pid: Vec<u32>,
    /// Run Get, GetAttributes and Encrypt on this existing key instead of keys the run
    /// prepares (a rotating key, say, to measure what its policy costs).
    #[arg(long = "use-key", value_name = "UID")]
    use_key: Option<String>,
    /// Before the phases, fill the server with this many named AES keys (Creates over all the
    /// connections, reported as a phase of their own): to measure a large store.
    #[arg(long, default_value_t = 0)]
    fill: u64,
    /// Print one JSON document rather than a table.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match bench(&args) {
        Ok(reports) => {
            if args.json {
                println!(
                    "{}",
                    json!({"connections": args.connections, "kmip_version": args.kmip_version.to_string(), "phases": reports})
                );
            } else {
                print_table(&reports);
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("kmip-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn bench(args: &Args) -> Result<Vec<Value>, String> {
    let endpoints: Vec<Endpoint> = args
        .port
        .iter()
        .map(|&port| Endpoint {
            host: args.host.clone(),
            port,
            cert: args.cert.clone(),
            key: args.key.clone(),
            ca: args.ca.clone(),
        })
        .collect();
    let endpoint = endpoints.first().ok_or("no --port")?;
    let v = args.kmip_version;
    let mut setup = Client::connect(endpoint).map_err(|e| e.to_string())?;
    // Names unique to this run, so Locate finds exactly one key on a server with history.
    let run_id = format!("bench-{}", std::process::id());
    let needs_shared = args.ops.iter().any(|op| !op.consumes_keys() && *op != Op::Create);
    let seal = args.ops.contains(&Op::Decrypt);
    let shared = match &args.use_key {
        Some(uid) => {
            if let Some(op) = args.ops.iter().find(|op| !matches!(op, Op::Get | Op::GetAttributes | Op::Encrypt)) {
                return Err(format!("--use-key serves get, get-attributes and encrypt, not {}", op.name()));
            }
            vec![workload::Key::existing(uid)]
        }
        None if needs_shared => prepare(&mut setup, v, &run_id, args.keys.max(1), true, seal)?,
        None => Vec::new(),
    };
    let cpu = || -> Option<f64> {
        (!args.server_pid.is_empty()).then_some(())?;
        args.server_pid.iter().map(|&pid| process_cpu_seconds(pid)).sum()
    };
    // The servers' resident memory after a phase (summed over the pids given).
    let rss = |mut report: Value| -> Value {
        let sizes: Option<Vec<(u64, u64)>> = args.server_pid.iter().map(|&pid| process_rss_kib(pid)).collect();
        if let Some(sizes) = sizes.filter(|s| !s.is_empty()) {
            report["server_rss_kib"] = json!(sizes.iter().map(|s| s.0).sum::<u64>());
            report["server_peak_rss_kib"] = json!(sizes.iter().map(|s| s.1).sum::<u64>());
        }
        report
    };
    let progress = !args.json;
    let client_threads =
        args.client_threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, std::num::NonZero::get));
    let mut reports = Vec::new();
    if args.fill > 0 {
        let fill = Phase {
            op: Op::Create,
            version: v,
            connections: args.connections.max(1),
            client_threads,
            connect_per_request: false,
            duration: None,
            operations: Some(args.fill),
            create_names: Some(format!("{run_id}-fill")),
        };
        let mut report = run::run(&endpoints, &fill, &[workload::Key::none()], &cpu, progress)?.to_json();
        report["operation"] = json!("Create (fill)");
        reports.push(rss(report));
    }
    for &op in &args.ops {
        let phase = |duration: Option<u64>, operations: Option<u64>| Phase {
            op,
            version: v,
            connections: args.connections.max(1),
            client_threads,
            connect_per_request: args.connect_per_request,
            duration: duration.map(Duration::from_secs),
            operations,
            create_names: None,
        };
        let report = if op.consumes_keys() {
            let operations = args.operations.ok_or_else(|| format!("--op {} needs --operations", op.name()))?;
            // Activate needs pre-active keys; Destroy and ReKey take active ones (Destroy of an
            // active key is refused, so Destroy gets pre-active keys too).
            let active = op == Op::Rekey;
            let keys = prepare(&mut setup, v, &format!("{run_id}-{}", op.name()), operations as usize, active, false)?;
            run::run(&endpoints, &phase(None, Some(operations)), &keys, &cpu, progress)?
        } else {
            let keys = if op == Op::Create { vec![workload::Key::none()] } else { shared.clone() };
            if args.warmup > 0 {
                run::run(&endpoints, &phase(Some(args.warmup), None), &keys, &cpu, false)?;
            }
            let duration = args.operations.is_none().then_some(args.duration);
            run::run(&endpoints, &phase(duration, args.operations), &keys, &cpu, progress)?
        };
        reports.push(rss(report.to_json()));
    }
    Ok(reports)
}

fn print_table(reports: &[Value]) {
    println!(
        "{:<14} {:>10} {:>11} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10} {:>8}  errors",
        "operation", "ok", "ops/s", "p50 µs", "p90 µs", "p99 µs", "p99.9", "max µs", "cpu µs/op", "rss MiB"
    );
    for r in reports {
        let l = &r["latency_us"];
        let cpu = r["server_cpu_us_per_op"].as_f64().map_or_else(|| "-".into(), |c| format!("{c:.1}"));
        let rss = r["server_rss_kib"].as_u64().map_or_else(|| "-".into(), |kib| (kib / 1024).to_string());
        println!(
            "{:<14} {:>10} {:>11.0} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10} {:>8}  {}",
            r["operation"].as_str().unwrap_or_default(),
            r["ok"].as_u64().unwrap_or_default(),
            r["ops_per_second"].as_f64().unwrap_or_default(),
            l["p50"].as_u64().unwrap_or_default(),
            l["p90"].as_u64().unwrap_or_default(),
            l["p99"].as_u64().unwrap_or_default(),
            l["p99.9"].as_u64().unwrap_or_default(),
            l["max"].as_u64().unwrap_or_default(),
            cpu,
            rss,
            r["errors"]
        );
    }
}
