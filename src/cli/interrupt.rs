//! Ctrl-C, SIGTERM and SIGHUP: a run interrupted before its results are
//! written leaves the previous results folder as it was (results are staged
//! and swapped in whole; see `report::folder`). The handler removes what was
//! being staged and the lock files, says what survived, then exits with 130
//! (the handler cannot tell the signals apart, so all three exit as SIGINT
//! does).
//!
//! Swapping a results folder in is never cut in two: it runs inside
//! [`uninterrupted`], and a signal that arrives meanwhile is handled once it
//! is over, with the note that matches what is on disk.

use std::path::PathBuf;
use std::sync::Mutex;

/// What to tell the user on an interruption, and paths to remove first
/// (staging folders, lock files).
static STATE: Mutex<(String, Vec<PathBuf>)> = Mutex::new((String::new(), Vec::new()));

/// Held while results are swapped in; the handler waits for it.
static WRITING: Mutex<()> = Mutex::new(());

/// Installs the handler once, for the whole process.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        let _writing = WRITING.lock().unwrap_or_else(|p| p.into_inner());
        let (note, paths) = STATE.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for path in paths {
            if path.is_dir() {
                let _ = std::fs::remove_dir_all(path);
            } else {
                let _ = std::fs::remove_file(path);
            }
        }
        let note = if note.is_empty() {
            "nothing was written".to_string()
        } else {
            note
        };
        super::note(&format!("\nInterrupted: {note}."));
        std::process::exit(130);
    });
}

/// From now on an interruption says `note` ("earlier results in
/// results/x are unchanged").
pub fn on_interrupt(note: String) {
    STATE.lock().unwrap_or_else(|p| p.into_inner()).0 = note;
}

/// `path` (a staging folder, a lock file) is temporary: an interruption
/// removes it.
pub fn remove_on_interrupt(path: PathBuf) {
    STATE.lock().unwrap_or_else(|p| p.into_inner()).1.push(path);
}

/// Runs `write` with interruptions held back; on success the note becomes
/// `note(&value)` before they are let through.
pub fn uninterrupted<T>(
    write: impl FnOnce() -> anyhow::Result<T>,
    note: impl FnOnce(&T) -> String,
) -> anyhow::Result<T> {
    let _writing = WRITING.lock().unwrap_or_else(|p| p.into_inner());
    let value = write()?;
    on_interrupt(note(&value));
    Ok(value)
}
