//! Runner calibration: how late timers fire and how long a loopback round trip takes on this
//! machine right now. Every deadline is scaled from it, and a runner too slow to judge anything
//! is reported as such instead of blaming the server.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use crate::fmt_duration;

/// Timer overshoot (p90) the deadlines are written for.
pub const NOMINAL_OVERSHOOT: Duration = Duration::from_millis(2);
/// Loopback round trip (p90) the deadlines are written for.
pub const NOMINAL_RTT: Duration = Duration::from_millis(1);
/// Above this factor the runner is too slow for timing judgements.
pub const TOO_SLOW: f64 = 20.0;

/// What calibration measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// p90 of how late a 1 ms sleep wakes up.
    pub timer_overshoot: Duration,
    /// p90 of a 1-byte ping-pong over loopback TCP.
    pub loopback_rtt: Duration,
    /// The user's `--timeout-scale`.
    pub user_scale: f64,
    /// The factor every deadline is multiplied by (≥ `user_scale`).
    pub factor: f64,
}

impl Calibration {
    /// A calibration that scales by `user_scale` only (no measurement).
    pub fn fixed(user_scale: f64) -> Self {
        Calibration {
            timer_overshoot: Duration::ZERO,
            loopback_rtt: Duration::ZERO,
            user_scale,
            factor: user_scale.max(0.01),
        }
    }

    /// Whether the runner is too slow for timing judgements.
    pub fn too_slow(&self) -> bool {
        self.factor / self.user_scale.max(0.01) > TOO_SLOW
    }

    /// One line for reports.
    pub fn describe(&self) -> String {
        format!(
            "timer overshoot p90 {}, loopback RTT p90 {}, deadline factor {:.2}",
            fmt_duration(self.timer_overshoot),
            fmt_duration(self.loopback_rtt),
            self.factor
        )
    }
}

fn p90(mut v: Vec<Duration>) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort_unstable();
    v[(v.len() * 9 / 10).min(v.len() - 1)]
}

/// Measures the runner (about 100 ms) and derives the deadline factor.
pub async fn calibrate(user_scale: f64) -> Calibration {
    let mut overshoot = Vec::with_capacity(40);
    for _ in 0..40 {
        let t0 = Instant::now();
        tokio::time::sleep(Duration::from_millis(1)).await;
        overshoot.push(t0.elapsed().saturating_sub(Duration::from_millis(1)));
    }
    let rtt = loopback_rtts(100).await.unwrap_or_default();
    let timer_overshoot = p90(overshoot);
    let loopback_rtt = p90(rtt);
    let slow = (timer_overshoot.as_secs_f64() / NOMINAL_OVERSHOOT.as_secs_f64())
        .max(loopback_rtt.as_secs_f64() / NOMINAL_RTT.as_secs_f64())
        .max(1.0);
    Calibration {
        timer_overshoot,
        loopback_rtt,
        user_scale,
        factor: user_scale.max(0.01) * slow,
    }
}

async fn loopback_rtts(n: usize) -> std::io::Result<Vec<Duration>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let echo = tokio::spawn(async move {
        if let Ok((mut s, _)) = listener.accept().await {
            let _ = s.set_nodelay(true);
            let mut b = [0u8; 1];
            while let Ok(1) = s.read(&mut b).await {
                if s.write_all(&b).await.is_err() {
                    break;
                }
            }
        }
    });
    let mut s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    let mut out = Vec::with_capacity(n);
    let mut b = [0u8; 1];
    for _ in 0..n {
        let t0 = Instant::now();
        s.write_all(b"x").await?;
        s.read_exact(&mut b).await?;
        out.push(t0.elapsed());
    }
    drop(s);
    let _ = echo.await;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calibration_measures_something_and_never_shrinks_the_user_scale() {
        let c = calibrate(1.5).await;
        assert!(c.loopback_rtt > Duration::ZERO);
        assert!(c.factor >= 1.5);
        assert!(c.describe().contains("factor"));
    }
}
