//! Writes results atomically, and only ever to regular files.
//!
//! A results folder is staged in a hidden folder beside the target, which
//! then takes the target's place: in one atomic exchange where the OS has
//! one (Linux's `renameat2(RENAME_EXCHANGE)`), else in two renames whose
//! leftover a later run restores ([`recover`]). A failure at any point
//! leaves the previous results as they were.
//!
//! Writers of one results folder exclude each other with a lock file
//! (`.NAME.lock`, holding the owner's pid, see [`Lock`]); the lock is an OS
//! file lock, so a lock file left by a process that died is simply taken
//! over.
//!
//! Single files ([`write_file`]) go through a temporary file whose name no
//! other writer uses (pid and a counter) and are renamed over the target;
//! a target that exists but is not a regular file (a FIFO, a device, a
//! symlink, a folder) is refused rather than replaced.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context as _;

/// The files of one results folder, by name.
pub struct ResultsFolder {
    pub files: Vec<(String, Vec<u8>)>,
}

/// Writes `folder` as `root/name`, replacing an earlier folder of that name.
/// The caller holds the folder's [`Lock`].
pub fn write_folder(root: &Path, name: &str, folder: &ResultsFolder) -> anyhow::Result<PathBuf> {
    fs::create_dir_all(root)
        .with_context(|| format!("cannot create the output folder {}", root.display()))?;
    let target = root.join(name);
    let staging = staging_path(root, name);
    let result = stage(&staging, folder).and_then(|()| swap_in(&staging, &target));
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result.with_context(|| {
        format!(
            "cannot write results to {}; earlier results there are unchanged. Check the \
             folder's permissions and free space, or choose another with -o",
            target.display()
        )
    })?;
    Ok(target)
}

/// The hidden folder `write_folder` stages `root/name` in.
pub fn staging_path(root: &Path, name: &str) -> PathBuf {
    root.join(format!(".{name}.tmp-{}", std::process::id()))
}

/// The hidden name an earlier folder is moved to while the new one takes
/// its place (where the OS cannot exchange two folders at once).
fn retired_path(root: &Path, name: &str) -> PathBuf {
    root.join(format!(".{name}.old-{}", std::process::id()))
}

fn stage(staging: &Path, folder: &ResultsFolder) -> io::Result<()> {
    if staging.exists() {
        fs::remove_dir_all(staging)?;
    }
    fs::create_dir(staging)?;
    for (name, bytes) in &folder.files {
        let path = staging.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, bytes)?;
    }
    Ok(())
}

fn swap_in(staging: &Path, target: &Path) -> io::Result<()> {
    if fs::symlink_metadata(target).is_err() {
        return fs::rename(staging, target);
    }
    if exchange(staging, target)? {
        // The staging name now holds the earlier results; a leftover is
        // removed by the next run's `recover`.
        let _ = fs::remove_dir_all(staging);
        return Ok(());
    }
    let (root, name) = split(target);
    let retired = retired_path(root, name);
    fs::rename(target, &retired)?;
    if let Err(e) = fs::rename(staging, target) {
        // Put the earlier results back before reporting.
        let _ = fs::rename(&retired, target);
        return Err(e);
    }
    let _ = fs::remove_dir_all(&retired);
    Ok(())
}

fn split(target: &Path) -> (&Path, &str) {
    let root = target.parent().unwrap_or(Path::new("."));
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("");
    (root, name)
}

/// Exchanges two paths atomically; `Ok(false)` where the OS or the file
/// system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt as _;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both paths are valid NUL-terminated strings for the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => Ok(false),
        _ => Err(e),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<bool> {
    Ok(false)
}

/// Cleans up after writers of `root/name` that were killed mid-way: a
/// retired folder (`.NAME.old-PID`) is put back when the results folder is
/// missing (the kill fell between the two renames of a swap) and removed
/// otherwise; staging folders (`.NAME.tmp-PID`) are removed. Call it holding
/// the folder's [`Lock`], so every leftover is a dead writer's. Returns a
/// note for each thing done.
pub fn recover(root: &Path, name: &str) -> io::Result<Vec<String>> {
    let mut notes = Vec::new();
    let Ok(entries) = fs::read_dir(root) else {
        return Ok(notes);
    };
    let target = root.join(name);
    let (old, tmp) = (format!(".{name}.old-"), format!(".{name}.tmp-"));
    let mut leftovers: Vec<(PathBuf, bool)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let file = e.file_name();
            let file = file.to_str()?;
            let pid = file
                .strip_prefix(&old)
                .map(|p| (p, true))
                .or_else(|| file.strip_prefix(&tmp).map(|p| (p, false)))?;
            pid.0
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| (e.path(), pid.1))
        })
        .collect();
    leftovers.sort();
    for (path, retired) in leftovers {
        if retired && fs::symlink_metadata(&target).is_err() {
            fs::rename(&path, &target)?;
            notes.push(format!(
                "restored {} from {}, left by an interrupted run",
                target.display(),
                path.display()
            ));
        } else {
            fs::remove_dir_all(&path)?;
            notes.push(format!(
                "removed {}, left by an interrupted run",
                path.display()
            ));
        }
    }
    Ok(notes)
}

/// The right to write `root/name` (and its sweep staging folder): an OS
/// lock on `root/.NAME.lock`, which holds the owner's pid. Dropping it
/// removes the file; a process that dies without dropping it leaves the
/// file unlocked, and the next writer takes it over.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    _file: File,
}

/// Why a results folder cannot be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another archsim (pid {owner}) is writing {target}; wait for it to finish, or write \
         elsewhere with -o"
    )]
    Busy { owner: String, target: String },
    #[error("cannot lock {path}: {source}; check the output folder's permissions")]
    Io { path: String, source: io::Error },
}

impl Lock {
    /// The lock file of `root/name`.
    pub fn path(root: &Path, name: &str) -> PathBuf {
        root.join(format!(".{name}.lock"))
    }

    /// Takes the lock of `root/name`, or says which process holds it.
    pub fn acquire(root: &Path, name: &str) -> Result<Lock, LockError> {
        let path = Lock::path(root, name);
        let io = |source: io::Error| LockError::Io {
            path: path.display().to_string(),
            source,
        };
        fs::create_dir_all(root).map_err(io)?;
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io)?;
            if !try_lock(&file).map_err(io)? {
                let mut owner = String::new();
                let _ = file.read_to_string(&mut owner);
                let owner = owner.trim();
                return Err(LockError::Busy {
                    owner: if owner.is_empty() {
                        "unknown".to_string()
                    } else {
                        owner.chars().take(20).collect()
                    },
                    target: root.join(name).display().to_string(),
                });
            }
            // The previous owner may have removed the file between our
            // open and our lock: then we hold a lock on nothing.
            if !same_file(&file, &path) {
                continue;
            }
            file.set_len(0).map_err(io)?;
            file.rewind().map_err(io)?;
            writeln!(file, "{}", std::process::id()).map_err(io)?;
            return Ok(Lock { path, _file: file });
        }
    }

    /// The lock file's path (removed by an interruption's handler).
    pub fn file(&self) -> &Path {
        &self.path
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(unix)]
fn try_lock(file: &File) -> io::Result<bool> {
    use std::os::fd::AsRawFd as _;
    // SAFETY: flock on a file descriptor this function borrows.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    if e.kind() == io::ErrorKind::WouldBlock {
        Ok(false)
    } else {
        Err(e)
    }
}

#[cfg(not(unix))]
fn try_lock(_: &File) -> io::Result<bool> {
    Ok(true)
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

/// Makes every temporary name of this process unique.
static TEMPORARY: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `target` whole or not at all: through a temporary file
/// beside it (`.NAME.tmp-PID-N`, a name no other file or writer uses),
/// removed on any error, then renamed over it. A target that exists and is
/// not a regular file is refused (see [`check_regular`]).
pub fn write_file(target: &Path, bytes: &[u8]) -> io::Result<()> {
    write_file_with(target, |file| file.write_all(bytes))
}

/// [`write_file`] with the content written by `write`.
pub fn write_file_with(
    target: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    check_regular(target)?;
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy());
    let temporary = target.with_file_name(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        TEMPORARY.fetch_add(1, Ordering::Relaxed)
    ));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)?;
    let result = write(&mut file)
        .and_then(|()| file.flush())
        .and_then(|()| fs::rename(&temporary, target));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// Refuses a path that exists and is not a regular file: replacing a FIFO,
/// a device or a symlink with a file would destroy it (and its reader would
/// get nothing), so archsim writes only regular files.
pub fn check_regular(target: &Path) -> io::Result<()> {
    let what = match fs::symlink_metadata(target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
        Ok(m) if m.file_type().is_file() => return Ok(()),
        Ok(m) if m.file_type().is_symlink() => "a symbolic link",
        Ok(m) if m.is_dir() => "a folder",
        Ok(_) => "a device, FIFO or socket",
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is {what}, not a regular file; archsim writes only regular files, which it \
             replaces whole: give the path of a file (to read the output through a pipe, \
             write it to a file and read that)",
            target.display()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_no_temporary_file_and_the_target_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("h.jsonl");
        fs::write(&target, "before").unwrap();
        fs::write(dir.path().join("h.tmp"), "someone else's").unwrap();
        let err = write_file_with(&target, |f| {
            f.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(err.is_err());
        assert_eq!(fs::read_to_string(&target).unwrap(), "before");
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["h.jsonl", "h.tmp"]);
        write_file(&target, b"after").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "after");
        assert_eq!(
            fs::read_to_string(dir.path().join("h.tmp")).unwrap(),
            "someone else's"
        );
    }

    #[test]
    fn a_swap_cut_between_its_renames_is_restored() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir(root.join(".x.old-4194999")).unwrap();
        fs::write(root.join(".x.old-4194999/results.json"), "{}").unwrap();
        fs::create_dir(root.join(".x.tmp-4194998")).unwrap();
        fs::create_dir(root.join(".x.y.old-1")).unwrap();
        let notes = recover(root, "x").unwrap();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(root.join("x/results.json").exists());
        assert!(!root.join(".x.tmp-4194998").exists());
        assert!(root.join(".x.y.old-1").exists(), "another folder's");
    }

    #[test]
    fn a_second_writer_is_refused_and_a_dead_ones_lock_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(Lock::path(dir.path(), "x"), "4194999\n").unwrap();
        let lock = Lock::acquire(dir.path(), "x").unwrap();
        let again = Lock::acquire(dir.path(), "x").unwrap_err().to_string();
        assert!(
            again.contains(&format!("(pid {})", std::process::id())),
            "{again}"
        );
        drop(lock);
        assert!(!Lock::path(dir.path(), "x").exists());
        Lock::acquire(dir.path(), "x").unwrap();
    }

    #[test]
    fn a_swap_replaces_the_folder_whole() {
        let dir = tempfile::tempdir().unwrap();
        let folder = |text: &str| ResultsFolder {
            files: vec![("a.txt".to_string(), text.as_bytes().to_vec())],
        };
        write_folder(dir.path(), "x", &folder("1")).unwrap();
        write_folder(dir.path(), "x", &folder("2")).unwrap();
        assert_eq!(fs::read_to_string(dir.path().join("x/a.txt")).unwrap(), "2");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
