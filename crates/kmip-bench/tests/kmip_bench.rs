//! kmip-bench against a spawned kmipd: every operation runs without errors, the counts add up,
//! and the JSON carries what scripts read. This checks behaviour, never speed.

use std::process::Command;

use kmip_test_support::{Kmipd, certs, kmipd_beside};
use serde_json::Value;

fn bench(server: &Kmipd, args: &[&str]) -> Value {
    let certs = certs();
    let output = Command::new(env!("CARGO_BIN_EXE_kmip-bench"))
        .args(["--host", "127.0.0.1", "--port", &server.addr.port().to_string()])
        .arg("--cert")
        .arg(certs.join("client.pem"))
        .arg("--key")
        .arg(certs.join("client.key"))
        .arg("--ca")
        .arg(certs.join("ca.pem"))
        .arg("--json")
        .args(args)
        .output()
        .expect("kmip-bench runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON")
}

#[test]
fn every_operation_runs_clean_and_is_counted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Kmipd::spawn(kmipd_beside(env!("CARGO_BIN_EXE_kmip-bench")).to_str().expect("utf-8"), dir.path());
    let pid = server.pid().expect("running").to_string();
    let ops = ["create", "get", "get-attributes", "locate", "encrypt", "decrypt", "activate", "rekey", "destroy"];
    let mut args =
        vec!["--connections", "3", "--operations", "30", "--keys", "5", "--warmup", "0", "--server-pid", &pid];
    for op in &ops {
        args.extend(["--op", op]);
    }
    let report = bench(&server, &args);
    let phases = report["phases"].as_array().expect("phases");
    assert_eq!(phases.len(), ops.len());
    for phase in phases {
        assert_eq!(phase["ok"], 30, "{phase}");
        assert_eq!(phase["errors"], serde_json::json!({}), "{phase}");
        let latency = &phase["latency_us"];
        assert!(
            latency["p50"].as_u64() <= latency["p99"].as_u64() && latency["p99"].as_u64() <= latency["max"].as_u64()
        );
        assert!(phase["server_cpu_us_per_op"].is_number(), "{phase}");
        assert!(phase["server_rss_kib"].as_u64() > Some(0), "{phase}");
    }

    // A fill: that many named keys first, then Locate finds the prepared ones among them.
    let report =
        bench(&server, &["--fill", "40", "--keys", "3", "--operations", "9", "--op", "locate", "--server-pid", &pid]);
    let fill = &report["phases"][0];
    assert_eq!((fill["operation"].as_str(), fill["ok"].as_u64()), (Some("Create (fill)"), Some(40)), "{fill}");
    assert_eq!(report["phases"][1]["ok"], 9);
    assert_eq!(report["phases"][1]["errors"], serde_json::json!({}));

    // A new connection per request, at a 1.x version, for a fixed time.
    let report = bench(
        &server,
        &["--connect-per-request", "--kmip-version", "1.2", "--duration", "1", "--op", "get", "--keys", "2"],
    );
    let get = &report["phases"][0];
    assert!(get["ok"].as_u64() > Some(0), "{get}");
    assert_eq!(get["errors"], serde_json::json!({}));
}
