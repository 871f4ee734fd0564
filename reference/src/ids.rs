//! Server-generated identifiers (task, context, message, artifact and push-config ids).
//!
//! Ids look like version-4 UUIDs. Uniqueness comes from a process-wide counter passed through a
//! bijective mixer, so two ids never collide within a process; the per-process random seed
//! (from std's `RandomState`) makes them unguessable enough that no client can predict another
//! caller's task id.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn seeds() -> (u64, u64) {
    static SEEDS: OnceLock<(u64, u64)> = OnceLock::new();
    *SEEDS.get_or_init(|| {
        let s = RandomState::new();
        let mut a = s.build_hasher();
        a.write_u64(crate::clock::now_ms() as u64);
        let mut b = s.build_hasher();
        b.write_u64(std::process::id().into());
        (a.finish(), b.finish())
    })
}

/// splitmix64's finalizer: a bijection on u64.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A fresh id, e.g. `3f1c2a9e-7b4d-4e21-9a0c-5d8e7f6a1b2c`.
pub(crate) fn new_id() -> String {
    let (sa, sb) = seeds();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // `lo` is a bijection of the counter, so it alone guarantees uniqueness; `hi` adds entropy.
    let lo = mix(sa.wrapping_add(n));
    let hi = (mix(sb ^ n.rotate_left(17)) & 0xffff_ffff_ffff_0fff) | 0x4000;
    // Hand-written hex: ids are minted on every send, and `format!` is measurably slower.
    let mut out = String::with_capacity(36);
    push_hex(&mut out, hi >> 32, 8);
    out.push('-');
    push_hex(&mut out, (hi >> 16) & 0xffff, 4);
    out.push('-');
    push_hex(&mut out, hi & 0xffff, 4);
    out.push('-');
    push_hex(&mut out, lo >> 48, 4);
    out.push('-');
    push_hex(&mut out, lo & 0xffff_ffff_ffff, 12);
    out
}

fn push_hex(out: &mut String, v: u64, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in (0..digits).rev() {
        out.push(HEX[((v >> (4 * i)) & 0xf) as usize] as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_uuid_shaped() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let id = new_id();
            assert_eq!(id.len(), 36);
            assert_eq!(&id[14..15], "4", "{id}");
            assert!(seen.insert(id));
        }
    }
}
