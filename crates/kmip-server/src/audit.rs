//! The audit log: one JSON line per KMIP operation and per side-API call, with the time, the
//! client identity, the operation, the object and the result. Never a secret: no key bytes,
//! no request bodies, no tokens (a token is logged as "token", an access key by its AK).
//!
//! ```toml
//! [audit]
//! sink = "stdout"          # or "file", with: file = "/var/log/kmipd/audit.log"
//! ```
//!
//! Lines go through a bounded queue to one writer thread, so a request waits for a slow sink
//! only when the queue is full: the log fails closed, it never drops a line. The writer
//! writes in batches, a few milliseconds' lines at a time (see [`LINGER`]).

use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use kmip_ops::ItemOutcome;
use kmip_proto::ProtocolVersion;
use serde::{Deserialize, Serialize};

/// Where audit lines go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditSink {
    /// Standard output, after the `listening` lines: whoever starts kmipd reads it.
    #[default]
    Stdout,
    /// A file, appended to (created with mode 0600).
    File,
}

/// `[audit]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Where the lines go.
    #[serde(default)]
    pub sink: AuditSink,
    /// The file, for `sink = "file"`.
    pub file: Option<PathBuf>,
}

/// One audit line. Serialised on the request's thread straight from borrowed parts: the
/// names are the dictionary's static strings and the time and version are written by their
/// `Display`, so a line costs one allocation, its JSON (the profile of a Get had the line's
/// intermediate strings at a fifth of its cost).
#[derive(Debug, Serialize)]
struct Line<'a> {
    #[serde(serialize_with = "rfc3339")]
    time: time::OffsetDateTime,
    kind: &'static str,
    client: &'a str,
    operation: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<&'a str>,
    result: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "displayed")]
    kmip_version: Option<ProtocolVersion>,
}

fn rfc3339<S: serde::Serializer>(at: &time::OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    /// Formats into the serializer's output, with no string in between.
    struct Rfc3339<'a>(&'a time::OffsetDateTime);
    impl std::fmt::Display for Rfc3339<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let mut buf = [0u8; 40];
            let mut cursor = std::io::Cursor::new(&mut buf[..]);
            match self.0.format_into(&mut cursor, &time::format_description::well_known::Rfc3339) {
                Ok(n) => f.write_str(std::str::from_utf8(&buf[..n]).map_err(|_| std::fmt::Error)?),
                Err(_) => f.write_str("unknown"),
            }
        }
    }
    serializer.collect_str(&Rfc3339(at))
}

fn displayed<S: serde::Serializer>(version: &Option<ProtocolVersion>, serializer: S) -> Result<S::Ok, S::Error> {
    match version {
        Some(v) => serializer.collect_str(v),
        None => serializer.serialize_none(),
    }
}

impl<'a> Line<'a> {
    fn kmip(time: time::OffsetDateTime, client: &'a str, outcome: &'a ItemOutcome) -> Self {
        Line {
            time,
            kind: "kmip",
            client,
            operation: outcome.operation.map_or(Cow::Borrowed("undecodable"), |o| name_of(o.name(), o)),
            uid: outcome.unique_identifier.as_deref(),
            result: match outcome.result {
                Ok(()) => Cow::Borrowed("Success"),
                Err(reason) => name_of(reason.name(), reason),
            },
            kmip_version: outcome.version,
        }
    }
}

/// An enumeration's dictionary name, or its value written out when the dictionary has none.
fn name_of<T: std::fmt::Display>(name: Option<&'static str>, value: T) -> Cow<'static, str> {
    name.map_or_else(|| Cow::Owned(value.to_string()), Cow::Borrowed)
}

/// What the writer thread receives.
#[derive(Debug)]
enum Entry {
    /// A line to write.
    Line(String),
    /// Write everything queued before this, flush the sink, then answer.
    Flush(SyncSender<()>),
}

/// The handle requests write through.
#[derive(Debug, Clone)]
pub(crate) struct Audit {
    lines: SyncSender<Entry>,
}

/// How many lines may wait for the writer before requests wait for it.
const QUEUE: usize = 65_536;

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

impl Audit {
    /// Opens the sink and starts the writer thread.
    pub(crate) fn start(config: &AuditConfig) -> std::io::Result<Self> {
        let sink: Box<dyn Write + Send> = match config.sink {
            AuditSink::Stdout => Box::new(std::io::stdout()),
            AuditSink::File => {
                let path = config.file.as_ref().ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "audit.sink = \"file\" needs audit.file")
                })?;
                let mut options = std::fs::OpenOptions::new();
                options.create(true).append(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                Box::new(options.open(path)?)
            }
        };
        let (lines, queue) = sync_channel(QUEUE);
        std::thread::Builder::new().name("kmipd-audit".into()).spawn(move || write_lines(queue, sink))?;
        Ok(Audit { lines })
    }

    /// An audit log that writes nowhere: for the side-API fuzz target only.
    #[cfg(feature = "fuzzing")]
    pub(crate) fn discard() -> Self {
        let (lines, queue) = sync_channel(QUEUE);
        std::thread::spawn(move || write_lines(queue, Box::new(std::io::sink())));
        Audit { lines }
    }

    fn write(&self, line: &Line<'_>) {
        match serde_json::to_string(line) {
            // The writer thread lives as long as the process; a send fails only at exit.
            Ok(text) => drop(self.lines.send(Entry::Line(text))),
            Err(e) => tracing::error!(error = %e, "an audit line did not serialise"),
        }
    }

    /// Blocks until every line sent before this call is in the sink (at shutdown: the writer
    /// batches, and a process that exits does not wait for its threads). Gives up after
    /// `wait`, saying so.
    pub(crate) fn flush(&self, wait: std::time::Duration) {
        let (done, flushed) = sync_channel(1);
        let answered = self.lines.send(Entry::Flush(done)).is_ok() && flushed.recv_timeout(wait).is_ok();
        if !answered {
            tracing::error!("the audit log did not flush at shutdown");
        }
    }

    /// One KMIP batch item's outcome.
    pub(crate) fn kmip(&self, client: &str, outcome: &ItemOutcome) {
        self.write(&Line::kmip(now(), client, outcome));
    }

    /// One side-API call: who (by credential kind, never its secret), what, and the status.
    pub(crate) fn http(&self, client: &str, method: &str, path: &str, status: u16) {
        self.write(&Line {
            time: now(),
            kind: "http",
            client,
            operation: Cow::Owned(format!("{method} {path}")),
            uid: None,
            result: Cow::Owned(status.to_string()),
            kmip_version: None,
        });
    }
}

/// How long the writer rests after writing a batch before it looks at the queue again.
///
/// A sender wakes the writer (a futex call and a context switch) only when the writer waits on
/// an empty queue. Resting after each batch means that under load it never does: the lines of
/// a few milliseconds go out in one write, and the requests pay no wake-up (profiled: waking
/// the writer for every line cost a quarter of a Get's CPU). A line thus reaches the sink at
/// most this long after its request is answered; an idle writer wakes at once.
const LINGER: std::time::Duration = std::time::Duration::from_millis(5);

/// Writes lines in batches: whatever queued while the writer rested, then a flush.
fn write_lines(queue: Receiver<Entry>, mut sink: Box<dyn Write + Send>) {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut sink);
    while let Ok(first) = queue.recv() {
        let mut result = Ok(());
        let mut waiting = Vec::new();
        for entry in std::iter::once(first).chain(std::iter::from_fn(|| queue.try_recv().ok())) {
            match entry {
                Entry::Line(line) => result = result.and_then(|()| writeln!(out, "{line}")),
                Entry::Flush(done) => waiting.push(done),
            }
        }
        if let Err(e) = result.and_then(|()| out.flush()) {
            tracing::error!(error = %e, "the audit sink failed");
        }
        for done in waiting {
            let _ = done.send(());
        }
        std::thread::sleep(LINGER);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line sent while the writer rests is in the file as soon as `flush` returns, long
    /// before the rest is over.
    #[test]
    fn flush_writes_what_the_resting_writer_holds() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("audit.log");
        let audit = Audit::start(&AuditConfig { sink: AuditSink::File, file: Some(file.clone()) }).expect("audit");
        audit.http("token", "GET", "/first", 200);
        audit.flush(std::time::Duration::from_secs(5));
        // The writer has just written a batch: it rests now, holding what comes next.
        audit.http("token", "GET", "/second", 200);
        audit.flush(std::time::Duration::from_secs(5));
        let text = std::fs::read_to_string(&file).expect("read");
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.lines().nth(1).is_some_and(|l| l.contains("/second")), "{text}");
    }

    /// A KMIP line's fields: the time in RFC 3339, dictionary names, the version as `M.m`, and
    /// a value the dictionary lacks written out rather than lost.
    #[test]
    fn a_kmip_line_names_its_parts() {
        use kmip_proto::dict::{Operation, ResultReason};
        let at = time::macros::datetime!(2026-11-24 08:00:00.5 UTC);
        let line = |outcome: &ItemOutcome| serde_json::to_value(Line::kmip(at, "alice", outcome)).expect("serialises");
        let ok = ItemOutcome {
            operation: Some(Operation::GET),
            unique_identifier: Some("k1".into()),
            result: Ok(()),
            version: Some(ProtocolVersion::V1_4),
        };
        assert_eq!(
            line(&ok),
            serde_json::json!({"time": "2026-11-24T08:00:00.5Z", "kind": "kmip", "client": "alice",
                "operation": "Get", "uid": "k1", "result": "Success", "kmip_version": "1.4"})
        );
        let odd = ItemOutcome {
            operation: Some(Operation(0x8000_0001)),
            unique_identifier: None,
            result: Err(ResultReason::ITEM_NOT_FOUND),
            version: None,
        };
        assert_eq!(
            line(&odd),
            serde_json::json!({"time": "2026-11-24T08:00:00.5Z", "kind": "kmip", "client": "alice",
                "operation": "Operation(0x80000001)", "result": "ItemNotFound"})
        );
    }
}
