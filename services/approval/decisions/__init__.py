"""Policy decisions: a submitted project judged by the pack in force on its submitted_on."""
