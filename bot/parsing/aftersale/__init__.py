"""A member reporting a problem with what she received (售后), read from her words (problem.py)."""

from bot.parsing.aftersale.problem import Problem, ProblemReport, ReportedLine, mentions_problem, read_problem

__all__ = ["Problem", "ProblemReport", "ReportedLine", "mentions_problem", "read_problem"]
