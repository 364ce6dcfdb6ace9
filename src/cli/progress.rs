//! The scan progress bar on stderr: only on a terminal, never with `--quiet` or in CI (`CI`
//! set, as every CI service does), so logs and pipes stay clean.

use std::io::IsTerminal;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::scan::ProgressFn;

/// A bar that exists only when it should be shown; cleared when dropped.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub(crate) fn new(quiet: bool) -> Progress {
        let wanted = !quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        Progress {
            bar: wanted.then(|| {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} scanning {bar:30} {pos}/{len} files  {elapsed}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar
            }),
        }
    }

    /// The callback for [`crate::scan::Options::progress`].
    pub(crate) fn callback(&self) -> Option<Arc<ProgressFn>> {
        let bar = self.bar.clone()?;
        Some(Arc::new(move |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        }))
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
