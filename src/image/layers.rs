//! Applies an image's layers to its filesystem in layer order, while the next layers are
//! already being read: each layer blob is inflated and its tar read on threads of its own
//! ([`super::layer`], [`super::in_order::Producer`]) up to [`LAYERS_AHEAD`] layers ahead of
//! the one being applied, and their files hashed and analysed on the shared pool. What a
//! layer does to the filesystem is applied only once every earlier layer is, so the result
//! is that of one layer after the other. Layers the cache knows are replayed, not read.
//!
//! Sources that read one blob at a time (registries) and `ASSAY_LAYER_WORKERS=0` stream
//! one layer at a time.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::thread::{Scope, ScopedJoinHandle};

use super::in_flight::Budget;
use super::in_order::{self, Producer, Step};
use super::layer::{self, LayerCheck};
use super::layer_cache::{self, LayerLog};
use super::manifest::Descriptor;
use super::rootfs::Rootfs;
use super::{BlobStore, Digest, PlannedImage};

/// Layers read ahead of the one being applied (each: an inflating and a tar thread).
const LAYERS_AHEAD: usize = 2;

/// One layer, as described by the plan.
struct Planned<'p> {
    index: usize,
    descriptor: &'p Descriptor,
    what: String,
    /// The digest the layer is verified against; it keys the layer's cached analysis.
    verified: String,
}

/// A layer on its way.
enum Started<'s> {
    Cached(LayerLog),
    Streaming {
        steps: Receiver<Step>,
        producer: ScopedJoinHandle<'s, anyhow::Result<()>>,
    },
    /// Opened when its turn comes (the source reads one blob at a time).
    InTurn,
}

pub fn apply(
    store: &mut dyn BlobStore,
    plan: &PlannedImage,
    diff_ids: &[String],
    rootfs: &mut Rootfs,
) -> anyhow::Result<()> {
    let count = plan.layers.len();
    let layers: Vec<Planned> = plan
        .layers
        .iter()
        .enumerate()
        .map(|(index, descriptor)| Planned {
            index,
            descriptor,
            what: format!("layer {} ({} of {count})", descriptor.digest, index + 1),
            verified: if plan.verify_diff_ids {
                format!("diff_id {}", diff_ids.get(index).map_or("", |d| d.as_str()))
            } else {
                format!("blob {}", descriptor.digest)
            },
        })
        .collect();
    let budget = Arc::new(in_order::budget());
    let ahead = if in_order::concurrent() {
        LAYERS_AHEAD
    } else {
        0
    };
    std::thread::scope(|scope| {
        // Whatever ends this scope (an error included), nobody may keep waiting for room.
        let _stop = CancelOnDrop(&budget);
        let mut window: VecDeque<Started> = VecDeque::new();
        let mut next = 0;
        for planned in &layers {
            while next < count && next <= planned.index + ahead {
                let started = start(scope, store, &layers[next], plan, diff_ids, rootfs, &budget)?;
                window.push_back(started);
                next += 1;
            }
            let started = window.pop_front().unwrap_or(Started::InTurn);
            budget.advance(planned.index);
            in_order::advance(rootfs, planned.index);
            rootfs.begin_layer(planned.index);
            match started {
                Started::Cached(log) => rootfs.replay(log),
                Started::Streaming { steps, producer } => {
                    layer_cache::start(rootfs);
                    let committed = in_order::commit(steps, rootfs, &budget, planned.index);
                    let produced = producer.join().unwrap_or_else(|_| {
                        Err(anyhow::anyhow!(
                            "{}: the layer reader panicked",
                            planned.what
                        ))
                    });
                    committed.and(produced)?;
                    layer_cache::finish(rootfs, &planned.verified);
                }
                Started::InTurn => {
                    if layer_cache::replay(rootfs, &planned.verified) {
                        continue;
                    }
                    let check = layer_check(plan, diff_ids, planned)?;
                    let mut raw = store.open(planned.descriptor)?;
                    layer_cache::start(rootfs);
                    one_layer(&mut raw, check, planned, rootfs, &budget)?;
                    layer_cache::finish(rootfs, &planned.verified);
                }
            }
        }
        Ok(())
    })
}

/// Looks a layer up in the cache, else starts reading it (when the source allows; else it
/// is looked up and read in its turn).
fn start<'s, 'e>(
    scope: &'s Scope<'s, 'e>,
    store: &mut dyn BlobStore,
    planned: &Planned,
    plan: &PlannedImage,
    diff_ids: &[String],
    rootfs: &Rootfs,
    budget: &Arc<Budget>,
) -> anyhow::Result<Started<'s>> {
    if !in_order::concurrent() {
        return Ok(Started::InTurn);
    }
    if let Some(log) = layer_cache::lookup(rootfs.name_prefix(), &planned.verified) {
        return Ok(Started::Cached(log));
    }
    let Some(raw) = store.open_independent(planned.descriptor) else {
        return Ok(Started::InTurn);
    };
    let mut raw = raw?;
    let check = layer_check(plan, diff_ids, planned)?;
    let (tx, steps) = in_order::channel();
    let producer = Producer::new(tx, budget.clone(), rootfs, planned.index);
    let what = planned.what.clone();
    let producer = std::thread::Builder::new()
        .name(format!("assay-layer-{}", planned.index))
        .spawn_scoped(scope, move || {
            layer::stream(&mut raw, check, &what, producer)
        })?;
    Ok(Started::Streaming { steps, producer })
}

/// Streams one layer from a reader tied to the source: read on this thread, applied on
/// another.
fn one_layer(
    raw: &mut dyn Read,
    check: LayerCheck,
    planned: &Planned,
    rootfs: &mut Rootfs,
    budget: &Arc<Budget>,
) -> anyhow::Result<()> {
    let (tx, steps) = in_order::channel();
    let producer = Producer::new(tx, budget.clone(), rootfs, planned.index);
    std::thread::scope(|scope| {
        let committing = scope.spawn(|| in_order::commit(steps, rootfs, budget, planned.index));
        let produced = layer::stream(raw, check, &planned.what, producer);
        let committed = committing.join().unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "{}: applying the layer panicked",
                planned.what
            ))
        });
        committed.and(produced)
    })
}

/// What the layer's bytes are checked against: the manifest's blob digest and size, or
/// (docker-archive) the config's `diff_id` of the uncompressed tar.
fn layer_check(
    plan: &PlannedImage,
    diff_ids: &[String],
    planned: &Planned,
) -> anyhow::Result<LayerCheck> {
    let what = &planned.what;
    if plan.verify_diff_ids {
        let diff_id = diff_ids
            .get(planned.index)
            .ok_or_else(|| anyhow::anyhow!("{what}: no diff_id"))?;
        let diff_id = Digest::parse(diff_id).map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
        Ok(LayerCheck {
            blob: None,
            diff_id: Some(diff_id),
        })
    } else {
        let d = planned.descriptor;
        let blob = Digest::parse(&d.digest).map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
        Ok(LayerCheck {
            blob: Some((blob, d.size)),
            diff_id: None,
        })
    }
}

struct CancelOnDrop<'a>(&'a Budget);

impl Drop for CancelOnDrop<'_> {
    fn drop(&mut self) {
        self.0.cancel();
    }
}
