"""The 政务信息系统目录: systems, their facts, links to projects, decommissioning, counts per unit."""
