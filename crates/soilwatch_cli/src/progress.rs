//! Progress of long work: a bar on a terminal (rows, rows/s, ETA), plain lines otherwise.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use soilwatch_store::importer::Progress;

/// Progress on stderr.
pub struct Reporter {
    bar: Option<ProgressBar>,
    plain: Mutex<Plain>,
}

struct Plain {
    phase: String,
    started: Instant,
    last: Instant,
    total: Option<u64>,
    row: u64,
}

impl Reporter {
    pub fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {msg:12} [{bar:30}] {percent:>3}% {pos}/{len} bytes · rows {prefix} · ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let now = Instant::now();
        Reporter {
            bar,
            plain: Mutex::new(Plain {
                phase: String::new(),
                started: now,
                last: now,
                total: None,
                row: 0,
            }),
        }
    }
}

impl Progress for Reporter {
    fn phase(&self, name: &str, total_bytes: Option<u64>) {
        if let Some(bar) = &self.bar {
            bar.set_message(name.to_owned());
            bar.set_position(0);
            bar.set_length(total_bytes.unwrap_or(0));
        } else if let Ok(mut p) = self.plain.lock() {
            p.phase = name.to_owned();
            p.started = Instant::now();
            p.last = p.started;
            p.total = total_bytes;
            eprintln!("{name}…");
        }
    }

    fn row(&self, row: u64, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
            let secs = bar.elapsed().as_secs_f64().max(1e-3);
            bar.set_prefix(format!("{row} ({:.0}/s)", row as f64 / secs));
        } else if let Ok(mut p) = self.plain.lock() {
            p.row = row;
            if p.last.elapsed() >= Duration::from_secs(5) {
                p.last = Instant::now();
                let secs = p.started.elapsed().as_secs_f64().max(1e-3);
                let pct = p
                    .total
                    .map(|t| 100.0 * bytes as f64 / t.max(1) as f64)
                    .unwrap_or(0.0);
                eprintln!(
                    "{}: row {} ({:.0} rows/s, {pct:.0} % of the file)",
                    p.phase,
                    p.row,
                    row as f64 / secs
                );
            }
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
