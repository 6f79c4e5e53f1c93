//! Gate orchestration: load reports, apply the policy and VEX, build the Decision.
