//! Running the `dce` binary in a scratch directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/market.example.toml");

/// A scratch directory with its own SQLite database.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn database(&self) -> String {
        format!("sqlite://{}", self.path("dce.db").display())
    }

    /// `dce ARGS` with this scratch's database, run from the scratch dir
    /// (so no `config/dce.toml` is picked up) and no `DCE_*` from outside.
    pub fn dce(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dce"));
        cmd.current_dir(self.dir.path())
            .env("DCE_DATABASE_URL", self.database())
            .env_remove("DCE_COUNTERS_BACKEND")
            .args(args);
        cmd
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}
