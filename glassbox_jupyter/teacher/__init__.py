"""Teachers (the models to explain), their input specs, and safe loading."""

from glassbox_jupyter.teacher.spec import InputSpec
from glassbox_jupyter.teacher.teacher import Teacher, as_teacher

__all__ = ["InputSpec", "Teacher", "as_teacher"]
