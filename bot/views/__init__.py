"""What the patient and the clinician see, drawn from data: LINE message builders (cards), the
progression chart, the rich menu picture, the CJK font. No routing, no state."""
