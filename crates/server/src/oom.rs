//! `oom-score-adj`: the process's Linux OOM-killer score follows the config,
//! as Redis's setOOMScoreAdj does. Only the server binary does this (an
//! embedding process keeps its own score).

use ember_core::config_table::ParamValue;
use ember_core::{Config, Engine};
use parking_lot::Mutex;

const PROC_FILE: &str = "/proc/self/oom_score_adj";

/// The score before Ember first changed it, restored when `oom-score-adj`
/// goes back to `no`; None while Ember has not changed it.
static BASE: Mutex<Option<i64>> = Mutex::new(None);

/// `oom-score-adj`: 0 no, 1 relative (`yes`), 2 absolute.
fn mode(c: &Config) -> i64 {
    match c.params.get("oom-score-adj") {
        Some(ParamValue::Str(s)) => match s.as_str() {
            "yes" | "relative" => 1,
            "absolute" => 2,
            _ => 0,
        },
        _ => 0,
    }
}

/// Sets the process's score for its role (master or replica) from
/// `oom-score-adj-values`; restores the original one when turned off.
pub fn apply(engine: &Engine) -> Result<(), String> {
    let c = &engine.config;
    let mut base = BASE.lock();
    let value = match mode(c) {
        0 => match base.take() {
            Some(b) => b,
            None => return Ok(()),
        },
        m => {
            if base.is_none() {
                let text = std::fs::read_to_string(PROC_FILE).map_err(|e| {
                    tracing::warn!("Unable to read oom_score_adj: {e}");
                    e.to_string()
                })?;
                *base = Some(text.trim().parse().unwrap_or(0));
            }
            let class = usize::from(engine.is_replica);
            let mut v = ember_core::config_table::oom_values(c)[class];
            if m == 1 {
                v += base.unwrap_or(0);
            }
            v.clamp(-1000, 1000)
        }
    };
    std::fs::write(PROC_FILE, format!("{value}\n")).map_err(|e| {
        tracing::warn!("Unable to write oom_score_adj: {e}");
        e.to_string()
    })
}

/// CONFIG SET of either parameter applies it (Redis's updateOOMScoreAdj),
/// and so does a role change (REPLICAOF runs the hooks too).
pub fn config_hook(engine: &mut Engine, old: &Config) -> Result<(), String> {
    let watched = ["oom-score-adj", "oom-score-adj-values"];
    if watched
        .iter()
        .all(|p| engine.config.params.get(*p) == old.params.get(*p))
        && engine.config.replicaof == old.replicaof
    {
        return Ok(());
    }
    apply(engine).map_err(|_| "Failed to set current oom_score_adj. Check server logs.".into())
}
