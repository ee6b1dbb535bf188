"""Projects (政务信息化项目): create, edit while draft, submit, list; their lifecycle and history."""
