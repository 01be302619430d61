"""HTTP routes, one router a concern; ``cs_agent.app`` assembles them."""
