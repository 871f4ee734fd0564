//! Resource readings from `/proc` (Linux): open file descriptors, resident memory, and the
//! open-files limit that bounds how many sockets a flood may open.

/// Open file descriptors of process `pid`, if readable.
pub fn fd_count(pid: u32) -> Option<usize> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()
        .map(|d| d.count())
}

/// Resident set size of `pid` in KiB (`VmRSS`), if readable.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// The soft limit on open files of this process (`Max open files`), if readable.
pub fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
}

/// How many sockets a scenario may open at once: `wanted`, capped by what the fd limit leaves
/// free (keeping a margin for the server if it shares this process).
pub fn socket_budget(wanted: usize) -> usize {
    let open = fd_count(std::process::id()).unwrap_or(64) as u64;
    match open_files_limit() {
        Some(limit) => {
            let free = limit.saturating_sub(open) / 3;
            wanted.min(free as usize)
        }
        None => wanted.min(256),
    }
}

/// Loopback TCP sockets in TIME_WAIT whose local or remote port is `port` (from
/// `/proc/net/tcp` and `/proc/net/tcp6`), if readable.
pub fn time_wait_on_port(port: u16) -> Option<usize> {
    let mut n = 0;
    let mut readable = false;
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        readable = true;
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 4 || f[3] != "06" {
                continue;
            }
            let port_of = |a: &str| {
                a.rsplit(':')
                    .next()
                    .and_then(|p| u16::from_str_radix(p, 16).ok())
            };
            if port_of(f[1]) == Some(port) || port_of(f[2]) == Some(port) {
                n += 1;
            }
        }
    }
    readable.then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_process_is_readable() {
        let pid = std::process::id();
        assert!(fd_count(pid).is_some_and(|n| n >= 3));
        assert!(rss_kib(pid).is_some_and(|k| k > 0));
        assert!(open_files_limit().is_some_and(|l| l >= 64));
        assert!(socket_budget(10) <= 10);
    }
}
