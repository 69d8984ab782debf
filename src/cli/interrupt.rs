//! Ctrl-C: a run interrupted before its results are written leaves the
//! previous results folder as it was (results are staged and swapped in
//! whole; see `report::folder`). The handler removes what was being staged
//! and says what survived, then exits with 130, as shells expect.

use std::path::PathBuf;
use std::sync::Mutex;

/// What to tell the user on Ctrl-C, and folders to remove first.
static STATE: Mutex<(String, Vec<PathBuf>)> = Mutex::new((String::new(), Vec::new()));

/// Installs the handler once, for the whole process.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        let (note, staging) = match STATE.lock() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        };
        for folder in staging {
            let _ = std::fs::remove_dir_all(folder);
        }
        let note = if note.is_empty() {
            "nothing was written".to_string()
        } else {
            note
        };
        eprintln!("\nInterrupted: {note}.");
        std::process::exit(130);
    });
}

/// From now on an interruption says `note` ("earlier results in
/// results/x are unchanged").
pub fn on_interrupt(note: String) {
    if let Ok(mut s) = STATE.lock() {
        s.0 = note;
    }
}

/// `folder` is being staged: an interruption removes it.
pub fn staging(folder: PathBuf) {
    if let Ok(mut s) = STATE.lock() {
        s.1.push(folder);
    }
}
