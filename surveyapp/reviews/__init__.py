"""Expert review of submitted assessments: comments, moderated scores, remarks and decisions."""
