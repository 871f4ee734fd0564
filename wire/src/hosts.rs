//! The machine's hosts file, read for one question: which names resolve only to loopback, so
//! that a test may use them as spellings of loopback without sending traffic anywhere else.

use std::net::IpAddr;

/// Names `/etc/hosts` maps only to loopback addresses (`localhost` included), in file order; a
/// name also mapped to any other address is left out. Empty when the file cannot be read.
pub fn loopback_names() -> Vec<String> {
    let text = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    loopback_names_in(&text)
}

/// [`loopback_names`] of a hosts file's `text`.
pub fn loopback_names_in(text: &str) -> Vec<String> {
    let mut names: Vec<(String, bool)> = Vec::new();
    for line in text.lines() {
        let mut fields = line.split('#').next().unwrap_or("").split_whitespace();
        let Some(ip) = fields.next().and_then(|f| f.parse::<IpAddr>().ok()) else {
            continue;
        };
        for name in fields {
            match names.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                Some(entry) => entry.1 &= ip.is_loopback(),
                None => names.push((name.to_owned(), ip.is_loopback())),
            }
        }
    }
    names
        .into_iter()
        .filter(|(_, loopback)| *loopback)
        .map(|(n, _)| n)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_mapped_to_loopback_alone_count() {
        let text = "127.0.0.1 localhost local-a # comment\n::1 localhost ip6-localhost\n\
                    10.0.0.5 local-a box\n# 127.0.0.1 commented\nnot-an-ip name\n127.0.1.1 other\n";
        assert_eq!(
            loopback_names_in(text),
            vec!["localhost", "ip6-localhost", "other"]
        );
    }
}
