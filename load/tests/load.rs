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
