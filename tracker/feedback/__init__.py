"""Beta-test feedback rounds: panel, questionnaires, invitations, responses, results, gate."""
