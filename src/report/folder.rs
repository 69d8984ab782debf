//! Writes a results folder atomically: every file goes to a hidden temporary
//! folder beside the target, which then replaces the target in one rename.
//! A failure at any point leaves the previous results as they were.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// The files of one results folder, by name.
pub struct ResultsFolder {
    pub files: Vec<(String, Vec<u8>)>,
}

/// Writes `folder` as `root/name`, replacing an earlier folder of that name.
pub fn write_folder(root: &Path, name: &str, folder: &ResultsFolder) -> anyhow::Result<PathBuf> {
    fs::create_dir_all(root)
        .with_context(|| format!("cannot create the output folder {}", root.display()))?;
    let target = root.join(name);
    let pid = std::process::id();
    let staging = staging_path(root, name);
    let result = stage(&staging, folder).and_then(|()| swap_in(&staging, &target, pid));
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

fn stage(staging: &Path, folder: &ResultsFolder) -> anyhow::Result<()> {
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

fn swap_in(staging: &Path, target: &Path, pid: u32) -> anyhow::Result<()> {
    if !target.exists() {
        fs::rename(staging, target)?;
        return Ok(());
    }
    let retired = target.with_file_name(format!(
        ".{}.old-{pid}",
        target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("results")
    ));
    fs::rename(target, &retired)?;
    if let Err(e) = fs::rename(staging, target) {
        // Put the earlier results back before reporting.
        let _ = fs::rename(&retired, target);
        return Err(e.into());
    }
    fs::remove_dir_all(&retired)?;
    Ok(())
}
