//! The generator against real servers on loopback: the reference and the bare baseline.

use std::time::Duration;

use gauntlet_load::{run, BareServer, Binding, LoadConfig, WireError};

#[tokio::test]
async fn the_generator_loads_the_reference_and_drains_its_streams() {
    let server = gauntlet_reference::Server::builder()
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    for binding in Binding::ALL {
        let config = LoadConfig {
            binding,
            concurrency: 2,
            duration: Duration::from_millis(100),
            streams: 2,
            events: 20,
            ..LoadConfig::default()
        };
        let report = run(&server.base_url(), &config).await.unwrap();
        assert!(report.send.ok > 0, "{report:?}");
        assert_eq!(report.send.errors, 0, "{report:?}");
        let stream = report
            .stream
            .as_ref()
            .expect("the test agent is advertised");
        assert!(stream.completed > 0, "{report:?}");
        assert_eq!(stream.errors, 0, "{report:?}");
        assert_eq!(stream.events, stream.completed * 23, "{report:?}");
        let json = report.to_json();
        assert_eq!(json["binding"], binding.short());
        assert!(json["stream"]["events_per_sec"].as_f64().unwrap() > 0.0);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_url_is_one_error() {
    let err = run("http://127.0.0.1:1", &LoadConfig::default())
        .await
        .unwrap_err();
    assert!(matches!(err, WireError::Connect { .. }), "{err}");
    let err = run("https://example.com", &LoadConfig::default())
        .await
        .unwrap_err();
    assert!(matches!(err, WireError::InvalidUrl(_)), "{err}");
}

#[tokio::test]
async fn the_generator_loads_the_bare_server() {
    let server = BareServer::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let config = LoadConfig {
        concurrency: 2,
        duration: Duration::from_millis(100),
        streams: 1,
        ..LoadConfig::default()
    };
    for binding in Binding::ALL {
        let config = LoadConfig {
            binding,
            ..config.clone()
        };
        let report = run(&server.base_url(), &config).await.unwrap();
        assert!(report.send.ok > 0, "{report:?}");
        assert_eq!(report.send.errors, 0, "{report:?}");
        assert!(report.stream.is_none());
        assert!(report.table().contains("req/s"));
    }
    server.shutdown().await;
}

/// Runs the open loop at 200 requests/s for 500 ms against `url` on both bindings and checks that
/// the timetable was kept: roughly the asked rate, every scheduled send counted as ok, error or
/// missed, no errors, and the open-loop fields in the JSON.
async fn open_loop_keeps_its_timetable(url: &str) {
    for binding in Binding::ALL {
        let config = LoadConfig {
            binding,
            concurrency: 2,
            rate: Some(200.0),
            duration: Duration::from_millis(500),
            streams: 0,
            ..LoadConfig::default()
        };
        let report = run(url, &config).await.unwrap();
        let send = &report.send;
        let open = send.open_loop.expect("an open-loop report");
        assert_eq!(open.scheduled, 100, "{report:?}");
        assert_eq!(send.errors, 0, "{report:?}");
        assert_eq!(
            send.ok + send.errors,
            open.scheduled - open.missed,
            "{report:?}"
        );
        assert!(send.ok >= 50, "at least half the asked rate: {report:?}");
        assert!(send.latency_corrected.is_none(), "{report:?}");
        assert!(send.latency.p50 > Duration::ZERO, "{report:?}");
        let json = report.to_json();
        assert_eq!(json["mode"], "open-loop", "{json}");
        let o = &json["send"]["open_loop"];
        assert_eq!(o["target_rate"], 200.0, "{json}");
        assert_eq!(o["scheduled"], 100, "{json}");
        assert_eq!(o["sent"], send.ok, "{json}");
        assert!(o["missed"].is_u64() && o["late"].is_u64(), "{json}");
        let achieved = o["achieved_rate"].as_f64().unwrap();
        let elapsed = json["send"]["elapsed_s"].as_f64().unwrap();
        assert!(
            (achieved - send.ok as f64 / elapsed).abs() < 1e-6 && achieved > 0.0,
            "sends per second of the phase: {json}"
        );
        assert!(json["send"]["latency"]["p99_us"].as_f64().unwrap() > 0.0);
        assert!(json["send"]["latency_corrected"].is_null(), "{json}");
        let table = report.table();
        assert!(
            table.contains("open loop at 200 req/s") && table.contains("100 scheduled"),
            "{table}"
        );
    }
}

#[tokio::test]
async fn the_open_loop_keeps_its_timetable_against_the_bare_server() {
    let server = BareServer::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    open_loop_keeps_its_timetable(&server.base_url()).await;
    server.shutdown().await;
}

#[tokio::test]
async fn the_open_loop_keeps_its_timetable_against_the_reference() {
    let server = gauntlet_reference::Server::builder()
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    open_loop_keeps_its_timetable(&server.base_url()).await;
    server.shutdown().await;
}

#[tokio::test]
async fn the_closed_loop_reports_corrected_latencies_next_to_the_raw_ones() {
    let server = BareServer::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let config = LoadConfig {
        concurrency: 2,
        duration: Duration::from_millis(200),
        streams: 0,
        ..LoadConfig::default()
    };
    let report = run(&server.base_url(), &config).await.unwrap();
    let send = &report.send;
    let corrected = send.latency_corrected.expect("corrected figures");
    assert!(send.open_loop.is_none());
    // The correction only adds requests, each no slower than the answer that held it back.
    assert!(corrected.latency.count >= send.latency.count, "{report:?}");
    assert!(corrected.latency.p99 >= send.latency.p50, "{report:?}");
    assert_eq!(corrected.latency.max, send.latency.max, "{report:?}");
    assert!(corrected.mean_interval > Duration::ZERO, "{report:?}");
    let json = report.to_json();
    assert_eq!(json["mode"], "closed-loop");
    let c = &json["send"]["latency_corrected"];
    assert_eq!(
        c["expected_interval"], "each worker's median service time",
        "{json}"
    );
    assert!(c["p99_us"].as_f64().unwrap() > 0.0, "{json}");
    assert!(
        c["mean_expected_interval_us"].as_f64().unwrap() > 0.0,
        "{json}"
    );
    assert!(json["send"]["latency"]["p99_us"].as_f64().unwrap() > 0.0);
    assert!(json["send"]["open_loop"].is_null(), "{json}");
    let table = report.table();
    assert!(
        table.contains("corrected µs") && table.contains("latency µs"),
        "{table}"
    );
    server.shutdown().await;
}
