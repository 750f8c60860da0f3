//! Placeholder for the server command family.

use super::table::CommandTable;

/// Registers the family's commands.
pub fn register(_t: &mut CommandTable) {}
