"""Images: the seeded catalogue, DescribeImages scopes and filters, launch permissions."""

from __future__ import annotations

import pytest

from aioec2.testing import EC2State, FakeError
from tests.testing.helpers import call

FEDORA = "ami-5bb65932"
USER = "123456789099"


def permissions(state: EC2State, image_id: str = FEDORA) -> list[dict[str, str]]:
    """The explicit launch permissions DescribeImageAttribute reports."""
    answer = call(
        state, "DescribeImageAttribute", {"ImageId": image_id, "Attribute": "launchPermission"}
    )
    return answer["launchPermission"]


def test_amazon_images_start_with_the_fedora_tutorial_image(state: EC2State) -> None:
    """Owner=amazon lists Amazon's public images, the fedora-core4 one first."""
    images = call(state, "DescribeImages", {"Owner": ["amazon"]})["imagesSet"]
    assert "ec2-public-images/fedora-core4-base.manifest.xml" == images[0]["imageLocation"]
    assert {"amazon"} == {image["imageOwnerAlias"] for image in images}
    assert all(image["isPublic"] for image in images)


def test_owner_self_lists_nothing_of_amazons(state: EC2State) -> None:
    """Owner=self finds none of the seeded images, which Amazon owns."""
    assert [] == call(state, "DescribeImages", {"Owner": ["self"]})["imagesSet"]


def test_image_ids_and_filters(state: EC2State) -> None:
    """ImageId.N picks images; Filter.N narrows by architecture, platform and wildcards."""
    picked = call(state, "DescribeImages", {"ImageId": [FEDORA]})["imagesSet"]
    assert [FEDORA] == [i["imageId"] for i in picked]
    arm = call(state, "DescribeImages", {"Filter": [{"Name": "architecture", "Value": ["arm64"]}]})
    assert ["arm64"] == [i["architecture"] for i in arm["imagesSet"]]
    windows = call(
        state, "DescribeImages", {"Filter": [{"Name": "platform", "Value": ["windows"]}]}
    )
    assert ["windows"] == [i["platform"] for i in windows["imagesSet"]]
    fedora = call(
        state, "DescribeImages", {"Filter": [{"Name": "name", "Value": ["fedora-core4-*"]}]}
    )
    assert 2 == len(fedora["imagesSet"])


@pytest.mark.parametrize(
    ("image_id", "code"),
    [("ami-zz", "InvalidAMIID.Malformed"), ("ami-01234567", "InvalidAMIID.NotFound")],
)
def test_bad_image_ids(state: EC2State, image_id: str, code: str) -> None:
    """DescribeImages answers Malformed for a bad id and NotFound for an unknown one."""
    with pytest.raises(FakeError) as caught:
        call(state, "DescribeImages", {"ImageId": [image_id]})
    assert code == caught.value.code


def test_seeded_public_image_is_shared_with_group_all(state: EC2State) -> None:
    """As on EC2, a public image's launchPermission is the group all; reset makes it private."""
    assert [{"group": "all"}] == permissions(state)
    call(state, "ResetImageAttribute", {"ImageId": FEDORA, "Attribute": "launchPermission"})
    assert [] == permissions(state)


def test_add_and_remove_users_and_groups(state: EC2State) -> None:
    """LaunchPermission.Add and .Remove grant and withdraw users and the group all."""
    call(
        state,
        "ModifyImageAttribute",
        {"ImageId": FEDORA, "LaunchPermission": {"Remove": [{"Group": "all"}]}},
    )
    assert [] == permissions(state)
    call(
        state,
        "ModifyImageAttribute",
        {"ImageId": FEDORA, "LaunchPermission": {"Add": [{"UserId": USER}]}},
    )
    assert [{"userId": USER}] == permissions(state)
    call(
        state,
        "ModifyImageAttribute",
        {"ImageId": FEDORA, "LaunchPermission": {"Remove": [{"UserId": USER}]}},
    )
    assert [] == permissions(state)
    call(
        state,
        "ModifyImageAttribute",
        {"ImageId": FEDORA, "LaunchPermission": {"Add": [{"Group": "all"}]}},
    )
    assert [{"group": "all"}] == permissions(state)


def test_legacy_operation_type_form(state: EC2State) -> None:
    """The older UserId.N/UserGroup.N with OperationType=add|remove still work."""
    legacy = {
        "ImageId": FEDORA,
        "Attribute": "launchPermission",
        "UserId": [USER],
        "UserGroup": ["all"],
    }
    call(state, "ModifyImageAttribute", {**legacy, "OperationType": "add"})
    assert [{"group": "all"}, {"userId": USER}] == permissions(state)
    call(state, "ModifyImageAttribute", {**legacy, "OperationType": "remove"})
    assert [] == permissions(state)


def test_reset_removes_every_explicit_permission(state: EC2State) -> None:
    """ResetImageAttribute launchPermission clears users and groups alike."""
    call(
        state,
        "ModifyImageAttribute",
        {"ImageId": FEDORA, "LaunchPermission": {"Add": [{"UserId": USER}, {"Group": "all"}]}},
    )
    assert {"return": True} == call(
        state, "ResetImageAttribute", {"ImageId": FEDORA, "Attribute": "launchPermission"}
    )
    assert [] == permissions(state)


def test_reset_of_another_attribute_is_invalid(state: EC2State) -> None:
    """Only launchPermission can be reset, as EC2 documents."""
    with pytest.raises(FakeError) as caught:
        call(state, "ResetImageAttribute", {"ImageId": FEDORA, "Attribute": "description"})
    assert "InvalidParameterValue" == caught.value.code


def test_malformed_user_id_is_refused(state: EC2State) -> None:
    """A launch permission for a user id that is not 12 digits answers InvalidUserID.Malformed."""
    with pytest.raises(FakeError) as caught:
        call(
            state,
            "ModifyImageAttribute",
            {"ImageId": FEDORA, "LaunchPermission": {"Add": [{"UserId": "bob"}]}},
        )
    assert "InvalidUserID.Malformed" == caught.value.code


def test_paging_images(state: EC2State) -> None:
    """DescribeImages pages with MaxResults from 1 and a NextToken."""
    first = call(state, "DescribeImages", {"MaxResults": 2})
    second = call(state, "DescribeImages", {"MaxResults": 2, "NextToken": first["nextToken"]})
    everything = call(state, "DescribeImages")["imagesSet"]
    assert everything[:4] == first["imagesSet"] + second["imagesSet"]
