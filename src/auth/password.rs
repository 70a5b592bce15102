//! Passwords: argon2id hashes in PHC format, and the minimum policy for new ones.
//! Hashing is deliberately slow (~tens of ms) and takes 19 MiB while it runs: sign-ins,
//! which anyone can send, check passwords on the few threads of [`Hashing`].

use crate::domain::Refusal;
use argon2::password_hash::PasswordHasher;
use argon2::password_hash::phc::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use passwords::analyzer::is_common_password;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 128;

pub fn hash(password: &str) -> anyhow::Result<String> {
    let hash = Argon2::default().hash_password(password.as_bytes()).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    Ok(hash.to_string())
}

/// The memory argon2 works in (19 MiB), kept by a hashing thread for every check it
/// makes. Allocated afresh for each check, it was not given back: the allocator kept
/// about twenty of them (390 MiB) whatever the number of threads.
#[derive(Default)]
pub struct Scratch(Vec<Block>);

impl Scratch {
    fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.0.len() < count {
            self.0.resize(count, Block::default());
        }
        &mut self.0[..count]
    }
}

/// Whether `password` matches `stored`, worked out in `scratch`; a malformed stored hash
/// matches nothing. The comparison takes as long wherever the two differ.
pub fn verify(scratch: &mut Scratch, password: &str, stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else { return false };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else { return false };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(hash.algorithm.as_str()), Params::try_from(&hash)) else {
        return false;
    };
    let Ok(version) = hash.version.map_or(Ok(Version::default()), Version::try_from) else { return false };
    let blocks = params.block_count();
    let mut computed = vec![0; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut computed, scratch.blocks(blocks))
        .is_ok()
        && Output::new(&computed).is_ok_and(|computed| &computed == expected)
}

/// Checked instead of a real hash when the username is unknown, so that a wrong
/// username costs as long as a wrong password and names cannot be probed by timing.
pub fn verify_against_nothing(scratch: &mut Scratch, password: &str) {
    static DECOY: LazyLock<String> = LazyLock::new(|| hash("peiyu-decoy-password").unwrap_or_default());
    verify(scratch, password, &DECOY);
}

/// A password check (or any other hash) waiting for a hashing thread.
type Job = Box<dyn FnOnce(&mut Scratch) + Send>;

/// A fixed number of threads that hash passwords, fed from a short queue: at most
/// `threads` hashes run at once, whatever arrives, so their memory (19 MiB each) is
/// bounded, and so are the allocator arenas that keep it (one per thread that ever
/// hashed: on the blocking pool that was hundreds). What finds the queue full is told
/// [`Busy`] at once rather than waiting without end. The threads end with the `Hashing`.
pub struct Hashing {
    jobs: SyncSender<Job>,
}

/// Every hashing thread is taken and the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl Hashing {
    pub fn start(threads: usize, queue: usize) -> std::io::Result<Self> {
        let (jobs, waiting) = sync_channel::<Job>(queue);
        let waiting = Arc::new(Mutex::new(waiting));
        for n in 0..threads.max(1) {
            let waiting = Arc::clone(&waiting);
            std::thread::Builder::new().name(format!("peiyu-hash-{n}")).spawn(move || work_off(&waiting))?;
        }
        Ok(Self { jobs })
    }

    /// Queues `work` for a hashing thread at once (or finds no room), and answers what
    /// it returns once it ran.
    pub fn run<T, W>(&self, work: W) -> impl Future<Output = Result<T, Busy>> + use<T, W>
    where
        T: Send + 'static,
        W: FnOnce(&mut Scratch) -> T + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let queued = self.jobs.try_send(Box::new(move |scratch: &mut Scratch| {
            // Nobody listens when the request was given up: nothing to tell.
            let _ = answer.send(work(scratch));
        }));
        async move {
            match queued {
                Ok(()) => answered.await.map_err(|_| Busy),
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(Busy),
            }
        }
    }
}

fn work_off(waiting: &Mutex<Receiver<Job>>) {
    let mut scratch = Scratch::default();
    loop {
        // The lock is held only while waiting for the next job, not while hashing.
        let next = waiting.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match next {
            Ok(job) => job(&mut scratch),
            Err(_) => return,
        }
    }
}

/// The policy for a new password: why it fails, or `None` when it passes.
pub fn weakness(password: &str, username: &str) -> Option<Refusal> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Some(Refusal::LengthAtLeast { min: MIN_LENGTH as u64 });
    }
    if length > MAX_LENGTH {
        return Some(Refusal::LengthAtMost { max: MAX_LENGTH as u64 });
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Some(Refusal::PasswordVariety);
    }
    if password.to_lowercase().contains(&username.to_lowercase()) {
        return Some(Refusal::PasswordHasUsername);
    }
    // Letters written as symbols (P@ssw0rd123) are the same guess to a guesser.
    let lower = password.to_lowercase();
    let plain: String = lower
        .chars()
        .map(|c| match c {
            '@' => 'a',
            '$' => 's',
            '0' => 'o',
            other => other,
        })
        .collect();
    if [password, &lower, &plain].into_iter().any(is_common_password) {
        return Some(Refusal::PasswordCommon);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let stored = hash("correct horse battery").expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        let scratch = &mut Scratch::default();
        assert!(verify(scratch, "correct horse battery", &stored));
        assert!(!verify(scratch, "correct horse battery!", &stored));
        assert!(!verify(scratch, "anything", "not a hash"));
        // A hash of other parameters (argon2i, less memory) checks in the same scratch.
        let params = Params::new(4096, 3, 1, None).expect("params");
        let other = Argon2::new(Algorithm::Argon2i, Version::V0x13, params);
        let other = other.hash_password(b"correct horse battery").expect("hash").to_string();
        assert!(verify(scratch, "correct horse battery", &other));
        assert!(!verify(scratch, "correct horse battery?", &other));
        assert!(verify(scratch, "correct horse battery", &stored), "and the bigger one again after it");
    }

    #[actix_web::test]
    async fn hashing_runs_no_more_at_once_than_its_threads_and_turns_the_rest_away() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let hashing = Hashing::start(2, 3).expect("threads");
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Arc::new(Mutex::new(released));
        let job = || {
            let (running, most, released) = (Arc::clone(&running), Arc::clone(&most), Arc::clone(&released));
            move |_: &mut Scratch| {
                most.fetch_max(running.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                let _ = released.lock().map(|r| r.recv());
                running.fetch_sub(1, Ordering::SeqCst);
            }
        };
        // Two run, three wait; the sixth is turned away while they do.
        let mut waiting: Vec<_> = (0..2).map(|_| hashing.run(job())).collect();
        while running.load(Ordering::SeqCst) < 2 {
            std::thread::yield_now();
        }
        waiting.extend((0..3).map(|_| hashing.run(job())));
        assert_eq!(hashing.run(job()).await, Err(Busy));
        for _ in 0..5 {
            release.send(()).expect("a job waits");
        }
        for w in waiting {
            assert_eq!(w.await, Ok(()));
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn weak_passwords_are_named() {
        assert_eq!(weakness("short", "li"), Some(Refusal::LengthAtLeast { min: 10 }));
        assert_eq!(weakness("aaaaaaaaaaaa", "li"), Some(Refusal::PasswordVariety));
        assert_eq!(weakness("zhangwei-2026!", "ZhangWei"), Some(Refusal::PasswordHasUsername));
        assert_eq!(weakness("新安街道辅导员2026", "li"), None);
        for common in ["password123", "1234567890", "qwertyuiop", "Password123", "QWERTYUIOP", "P@ssw0rd123"] {
            assert_eq!(weakness(common, "li"), Some(Refusal::PasswordCommon), "{common}");
        }
    }
}
