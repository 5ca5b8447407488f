//! Running one phase: N connections (or a new one per request), each a task on a small async
//! runtime ([`crate::connection`] says why), recording latencies into HDR histograms that
//! merge at the end, with errors counted by Result Reason and live progress on stderr.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use kmip_cli::Endpoint;
use kmip_proto::dict::ResultStatus;
use kmip_proto::{ProtocolVersion, ResponseMessage};
use serde_json::{Value, json};
use ttlv::Limits;

use crate::connection::Connection;
use crate::workload::{Key, Op, request};

/// How a phase runs.
#[derive(Debug, Clone)]
pub struct Phase {
    /// The operation.
    pub op: Op,
    /// The protocol version of the requests.
    pub version: ProtocolVersion,
    /// Connections, each its own task.
    pub connections: usize,
    /// The client runtime's threads, which all the connections share.
    pub client_threads: usize,
    /// Open a new mutual-TLS connection for every request (measures handshakes).
    pub connect_per_request: bool,
    /// Stop after this long...
    pub duration: Option<Duration>,
    /// ...or after this many operations in all.
    pub operations: Option<u64>,
    /// For Create: name the `i`th key `{prefix}-{i}`, its request encoded when it is sent
    /// (a million prepared requests would be the client's memory, not the server's).
    pub create_names: Option<String>,
}

/// What a phase measured.
#[derive(Debug)]
pub struct Report {
    op: Op,
    elapsed: Duration,
    latencies: Histogram<u64>,
    errors: BTreeMap<String, u64>,
    /// Server CPU seconds over the phase, when its pid was given.
    pub server_cpu: Option<f64>,
}

impl Report {
    /// Successful operations.
    pub fn ok(&self) -> u64 {
        self.latencies.len()
    }

    /// The report as JSON (latencies in microseconds).
    pub fn to_json(&self) -> Value {
        let q = |quantile: f64| self.latencies.value_at_quantile(quantile);
        let ops = self.ok();
        json!({
            "operation": self.op.name(),
            "ok": ops,
            "errors": self.errors,
            "seconds": self.elapsed.as_secs_f64(),
            "ops_per_second": ops as f64 / self.elapsed.as_secs_f64().max(1e-9),
            "latency_us": {"p50": q(0.5), "p90": q(0.9), "p99": q(0.99), "p99.9": q(0.999), "max": self.latencies.max()},
            "server_cpu_us_per_op": self.server_cpu.map(|cpu| cpu * 1e6 / ops.max(1) as f64),
        })
    }
}

/// What one client thread measured.
struct Tally {
    latencies: Histogram<u64>,
    errors: BTreeMap<String, u64>,
    finished: Instant,
}

/// Why a request did not succeed: the Result Reason's name, or the transport failure.
fn outcome(response: Result<Vec<u8>, String>) -> Result<(), String> {
    let bytes = response?;
    let message = ResponseMessage::from_ttlv(&bytes, &Limits::default()).map_err(|e| format!("decode: {e}"))?;
    match message.items.first() {
        Some(item) if item.result_status == ResultStatus::SUCCESS => Ok(()),
        Some(item) => Err(item.result_reason.map_or_else(|| "OperationFailed".into(), |r| r.to_string())),
        None => Err("empty response".into()),
    }
}

/// Runs a phase, its connections spread over `endpoints` in turn. `keys` are used round-robin, or one per operation when the operation consumes
/// them. `cpu` reads the server's CPU seconds.
pub fn run(
    endpoints: &[Endpoint],
    phase: &Phase,
    keys: &[Key],
    cpu: &dyn Fn() -> Option<f64>,
    progress: bool,
) -> Result<Report, String> {
    let tls = kmip_cli::tls_config(endpoints.first().ok_or("no endpoint")?).map_err(|e| e.to_string())?;
    // Encoded before the clock starts; the timed loop only sends, waits and decodes.
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(keys.iter().map(|k| request(phase.op, phase.version, k)).collect());
    let named = phase.create_names.clone().filter(|_| phase.op == Op::Create).map(Arc::new);
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    // A consumed key cannot be used twice, so such a phase stops when the keys run out.
    let limit = match phase.op.consumes_keys() {
        true => Some(phase.operations.unwrap_or(u64::MAX).min(keys.len() as u64)),
        false => phase.operations,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(phase.client_threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| format!("client runtime: {e}"))?;
    let cpu_before = cpu();
    let started = Instant::now();
    let workers: Vec<_> = (0..phase.connections)
        .map(|worker| {
            let (endpoint, tls, requests, next, done, stop, named) = (
                endpoints[worker % endpoints.len()].clone(),
                tls.clone(),
                requests.clone(),
                next.clone(),
                done.clone(),
                stop.clone(),
                named.clone(),
            );
            let (per_request, version) = (phase.connect_per_request, phase.version);
            runtime.spawn(async move {
                let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string())?;
                let mut errors = BTreeMap::new();
                let connect = || Connection::open(&endpoint, tls.clone());
                let mut client = if per_request { None } else { Some(connect().await?) };
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if limit.is_some_and(|n| i as u64 >= n) {
                        break;
                    }
                    let fresh;
                    let bytes = match &named {
                        Some(prefix) => {
                            fresh = request(Op::Create, version, &Key::named(format!("{prefix}-{i}")));
                            &fresh
                        }
                        None => &requests[i % requests.len()],
                    };
                    let start = Instant::now();
                    let result = match &mut client {
                        Some(client) => outcome(client.round_trip(bytes).await),
                        None => match connect().await {
                            Ok(mut fresh) => outcome(fresh.round_trip(bytes).await),
                            Err(e) => Err(e),
                        },
                    };
                    match result {
                        Ok(()) => {
                            let micros = start.elapsed().as_micros().max(1) as u64;
                            latencies.saturating_record(micros);
                        }
                        Err(reason) => {
                            *errors.entry(reason).or_insert(0) += 1;
                            if !per_request && client.is_some() && errors.values().sum::<u64>() % 1000 == 0 {
                                // A connection that keeps failing is replaced, not hammered.
                                client = Some(connect().await?);
                            }
                        }
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
                Ok::<_, String>(Tally { latencies, errors, finished: Instant::now() })
            })
        })
        .collect();

    // The main thread ticks: progress each second, and the stop signal at the deadline.
    let mut last = 0;
    while workers.iter().any(|w| !w.is_finished()) {
        std::thread::sleep(Duration::from_millis(100));
        let elapsed = started.elapsed();
        if phase.duration.is_some_and(|d| elapsed >= d) {
            stop.store(true, Ordering::Relaxed);
        }
        if progress && elapsed.as_secs() > last {
            last = elapsed.as_secs();
            eprintln!("  {:>13} {last:>4}s {:>10} ops", phase.op.name(), done.load(Ordering::Relaxed));
        }
    }
    let server_cpu = cpu().zip(cpu_before).map(|(after, before)| after - before);

    let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string())?;
    let mut errors = BTreeMap::new();
    // The phase ends when its last client does, not at the next progress tick.
    let mut finished = started;
    for worker in workers {
        let tally = runtime.block_on(worker).map_err(|e| format!("a client task failed: {e}"))??;
        finished = finished.max(tally.finished);
        latencies.add(&tally.latencies).map_err(|e| e.to_string())?;
        for (reason, n) in tally.errors {
            *errors.entry(reason).or_insert(0) += n;
        }
    }
    Ok(Report { op: phase.op, elapsed: finished - started, latencies, errors, server_cpu })
}

/// A process's resident set now and at its peak, in KiB (`VmRSS`, `VmHWM` of
/// `/proc/PID/status`, Linux).
pub fn process_rss_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..].trim().trim_end_matches("kB").trim().parse().ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The CPU seconds (user + system) a process has used, from `/proc/PID/stat` (Linux).
pub fn process_cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux architecture kmipd targets.
    Some(ticks / 100.0)
}
