"""The review workflow: steps from the decision, opinions, outcomes, changes and reports up."""
