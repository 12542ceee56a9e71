"""The user operations of ``pinpoint-sms-voice-v2``, one module per resource.

Each operation is a function of its resource's module, named as boto3 names the
method (``submit_registration_version`` answers ``SubmitRegistrationVersion``):

- :mod:`~lifecycle.operations.registrations`: CreateRegistration, DeleteRegistration,
  DescribeRegistrations.
- :mod:`~lifecycle.operations.versions`: CreateRegistrationVersion,
  SubmitRegistrationVersion, DiscardRegistrationVersion, DescribeRegistrationVersions.
- :mod:`~lifecycle.operations.definitions`: DescribeRegistrationTypeDefinitions,
  DescribeRegistrationSectionDefinitions, DescribeRegistrationFieldDefinitions.
- :mod:`~lifecycle.operations.form`: PutRegistrationFieldValue,
  DeleteRegistrationFieldValue, DescribeRegistrationFieldValues.
- :mod:`~lifecycle.operations.tags`: TagResource, UntagResource, ListTagsForResource
  (of any taggable resource, named by its ARN).
- :mod:`~lifecycle.operations.attachments`: CreateRegistrationAttachment,
  DescribeRegistrationAttachments, DeleteRegistrationAttachment.
- :mod:`~lifecycle.operations.phone_numbers`: RequestPhoneNumber, DescribePhoneNumbers,
  ReleasePhoneNumber.
- :mod:`~lifecycle.operations.associations`: CreateRegistrationAssociation,
  ListRegistrationAssociations.

:class:`~lifecycle.service.RegistrationService` binds them as its methods.
:data:`OPERATIONS` below is the one table from API names to those methods: the HTTP
server and the in-process boto3 client dispatch through it.

To add an operation: write it in its resource's module (a new module for a new
resource), decorated with :func:`lifecycle.errors.operation`, taking the service
positionally and its parameters keyword-only; bind it in ``RegistrationService``;
give its request rules to :data:`lifecycle.validation.OPERATIONS`; and register it in
:data:`OPERATIONS`.
"""

from __future__ import annotations

from collections.abc import Mapping

OPERATIONS: Mapping[str, str] = {
    "CreateRegistration": "create_registration",
    "CreateRegistrationVersion": "create_registration_version",
    "SubmitRegistrationVersion": "submit_registration_version",
    "DiscardRegistrationVersion": "discard_registration_version",
    "DeleteRegistration": "delete_registration",
    "DescribeRegistrations": "describe_registrations",
    "DescribeRegistrationVersions": "describe_registration_versions",
    "DescribeRegistrationTypeDefinitions": "describe_registration_type_definitions",
    "DescribeRegistrationSectionDefinitions": "describe_registration_section_definitions",
    "DescribeRegistrationFieldDefinitions": "describe_registration_field_definitions",
    "PutRegistrationFieldValue": "put_registration_field_value",
    "DeleteRegistrationFieldValue": "delete_registration_field_value",
    "DescribeRegistrationFieldValues": "describe_registration_field_values",
    "TagResource": "tag_resource",
    "UntagResource": "untag_resource",
    "ListTagsForResource": "list_tags_for_resource",
    "CreateRegistrationAttachment": "create_registration_attachment",
    "DescribeRegistrationAttachments": "describe_registration_attachments",
    "DeleteRegistrationAttachment": "delete_registration_attachment",
    "RequestPhoneNumber": "request_phone_number",
    "DescribePhoneNumbers": "describe_phone_numbers",
    "ReleasePhoneNumber": "release_phone_number",
    "CreateRegistrationAssociation": "create_registration_association",
    "ListRegistrationAssociations": "list_registration_associations",
}
"""The operations the library answers, by API name, with the service method of each.

Register a new operation here."""
