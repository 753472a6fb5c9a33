//! Alerts from health checks: rules (in the checks file), the engine that
//! fires and resolves them with cooldowns, and the notifier that hands them to
//! Alertmanager and webhooks. Replaces the hand-written alert script.

pub mod engine;
pub mod notify;
pub mod rules;

pub use engine::{AlertChange, Engine};
pub use notify::Notifier;
pub use rules::{AlertRule, RuleCondition};
