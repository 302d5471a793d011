"""List filters shared by the admin modules."""

from unfold.contrib.filters.admin import FieldTextFilter


class ExactTextFilter(FieldTextFilter):
    """A typed-in value matched exactly: uses the (field, entry_time) index, never a DISTINCT or LIKE scan."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_kwarg = f"{field_path}__exact"
        value = params.get(self.lookup_kwarg)
        if value is not None:
            self.lookup_val = value
            self.used_parameters[self.lookup_kwarg] = value.strip() if isinstance(value, str) else value
            params.pop(self.lookup_kwarg, None)

    def expected_parameters(self):
        return [self.lookup_kwarg]
