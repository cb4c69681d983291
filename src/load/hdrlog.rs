//! The HDR interval log (`--hdr-log PATH`): every second, each workload's latency histogram of
//! that second, tagged with the workload name, in the HdrHistogram interval log format that
//! HdrHistogram's tools (HistogramLogProcessor, HdrHistogramVisualizer) read. Written by its
//! own thread so file I/O never stalls a worker.

use super::error::LoadError;
use super::spec::Workload;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

/// One interval: its start (since the log's start time), length and histograms.
pub struct Interval {
    /// Start relative to the log start.
    pub start: Duration,
    /// Length.
    pub length: Duration,
    /// Histograms by workload.
    pub histograms: BTreeMap<Workload, Histogram<u64>>,
}

/// Handle of the writer thread.
pub struct HdrLog {
    tx: mpsc::Sender<Interval>,
    thread: std::thread::JoinHandle<Result<(), String>>,
    path: String,
}

impl HdrLog {
    /// Creates the file and starts the writer; `start` is the log's StartTime.
    pub fn create(path: &Path, start: SystemTime) -> Result<HdrLog, LoadError> {
        let shown = path.display().to_string();
        let file = std::fs::File::create(path).map_err(|e| LoadError::Output {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let (tx, rx) = mpsc::channel::<Interval>();
        let thread = std::thread::spawn(move || -> Result<(), String> {
            let mut out = BufWriter::new(file);
            let mut serializer = V2DeflateSerializer::new();
            let mut writer = IntervalLogWriterBuilder::new()
                .add_comment("regcheck load: latency of successful operations, microseconds")
                .with_start_time(start)
                .with_max_value_divisor(1000.0)
                .begin_log_with(&mut out, &mut serializer)
                .map_err(|e| e.to_string())?;
            for interval in rx {
                for (w, h) in &interval.histograms {
                    let tag = Tag::new(w.name());
                    writer
                        .write_histogram(h, interval.start, interval.length, tag)
                        .map_err(|e| format!("{e:?}"))?;
                }
            }
            drop(writer);
            out.flush().map_err(|e| e.to_string())
        });
        Ok(HdrLog {
            tx,
            thread,
            path: shown,
        })
    }

    /// Queues an interval.
    pub fn write(&self, interval: Interval) {
        let _ = self.tx.send(interval);
    }

    /// Flushes and closes the log.
    pub fn finish(self) -> Result<(), LoadError> {
        drop(self.tx);
        let path = self.path;
        match self.thread.join() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(LoadError::Output { path, message }),
            Err(_) => Err(LoadError::Output {
                path,
                message: "the log writer stopped unexpectedly".into(),
            }),
        }
    }
}
