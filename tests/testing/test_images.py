"""Images: the seeded catalogue, DescribeImages scopes and filters, permissions, RegisterImage."""

from __future__ import annotations

import pytest

from aioec2.testing import EC2State, FakeError, VirtualClock
from tests.testing.helpers import call

FEDORA = "ami-5bb65932"
USER = "123456789099"
TAGS = [{"ResourceType": "image", "Tag": [{"Key": "env", "Value": "prod"}]}]


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


def test_amazon_linux_2_is_in_the_catalogue(state: EC2State) -> None:
    """An Amazon Linux 2 HVM gp2 image answers the name filter scripts use to find one."""
    filters = {"Filter": [{"Name": "name", "Value": ["amzn2-ami-hvm-*-x86_64-gp2"]}]}
    (image,) = call(state, "DescribeImages", {"Owner": ["amazon"], **filters})["imagesSet"]
    assert ("x86_64", "ebs", "hvm") == (
        image["architecture"],
        image["rootDeviceType"],
        image["virtualizationType"],
    )


def register(state: EC2State, name: str = "my-image", **params: object) -> str:
    """Register an image; return its id."""
    answer = call(state, "RegisterImage", {"Name": name, **params})
    assert {"imageId"} == set(answer)
    return str(answer["imageId"])


def test_registered_image_is_private_and_the_callers(state: EC2State, clock: VirtualClock) -> None:
    """RegisterImage makes an EBS-backed image owned by the caller, shared with nobody."""
    clock.advance(60)
    image_id = register(state, "web (v1)", Description="web server", TagSpecification=TAGS)
    (image,) = call(state, "DescribeImages", {"Owner": ["self"]})["imagesSet"]
    assert image_id == image["imageId"]
    assert ("web (v1)", "web server", "123456789012") == (
        image["name"],
        image["description"],
        image["imageOwnerId"],
    )
    assert (False, None, "123456789012/web (v1)") == (
        image["isPublic"],
        image.get("imageOwnerAlias"),
        image["imageLocation"],
    )
    # The documented defaults: EBS-backed, i386, paravirtual.
    assert ("ebs", "i386", "paravirtual") == (
        image["rootDeviceType"],
        image["architecture"],
        image["virtualizationType"],
    )
    assert [{"key": "env", "value": "prod"}] == image["tagSet"]
    assert state.wall().strftime("%Y-%m-%dT%H:%M:%S") in image["creationDate"]
    assert [] == permissions(state, image_id)
    assert image_id not in [
        i["imageId"] for i in call(state, "DescribeImages", {"ExecutableBy": ["all"]})["imagesSet"]
    ]


def test_registered_image_takes_its_parameters(state: EC2State) -> None:
    """A manifest location makes an instance store-backed image; the rest is kept as given."""
    image_id = register(
        state,
        ImageLocation="my-bucket/image.manifest.xml",
        Architecture="x86_64",
        VirtualizationType="hvm",
        RootDeviceName="/dev/sdb",
        KernelId="aki-12345678",
    )
    (image,) = call(state, "DescribeImages", {"ImageId": [image_id]})["imagesSet"]
    assert (
        "my-bucket/image.manifest.xml",
        "instance-store",
        "x86_64",
        "hvm",
        "/dev/sdb",
        "aki-12345678",
    ) == (
        image["imageLocation"],
        image["rootDeviceType"],
        image["architecture"],
        image["virtualizationType"],
        image["rootDeviceName"],
        image["kernelId"],
    )
    assert "description" not in {k for k, v in image.items() if v is not None}


def test_registered_image_can_be_shared_and_launched(state: EC2State) -> None:
    """Launch permissions of a registered image change as for any image; it launches."""
    image_id = register(state)
    change = {"ImageId": image_id, "LaunchPermission": {"Add": [{"Group": "all"}]}}
    call(state, "ModifyImageAttribute", change)
    (image,) = call(state, "DescribeImages", {"ImageId": [image_id]})["imagesSet"]
    assert image["isPublic"]
    ran = call(state, "RunInstances", {"ImageId": image_id, "MinCount": 1, "MaxCount": 1})
    assert image_id == ran["instancesSet"][0]["imageId"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "MissingParameter"),
        ({"Name": "ab"}, "InvalidAMIName.Malformed"),
        ({"Name": "x" * 129}, "InvalidAMIName.Malformed"),
        ({"Name": "no*stars"}, "InvalidAMIName.Malformed"),
        ({"Name": "ok-name", "Architecture": "sparc"}, "InvalidParameterValue"),
        ({"Name": "ok-name", "VirtualizationType": "kvm"}, "InvalidParameterValue"),
        (
            {"Name": "ok-name", "TagSpecification": [{"ResourceType": "instance", "Tag": []}]},
            "InvalidParameterValue",
        ),
        ({"Name": "ok-name", "DryRun": True}, "DryRunOperation"),
    ],
)
def test_register_image_errors(state: EC2State, params: dict[str, object], code: str) -> None:
    """A missing or malformed name and unknown values answer EC2's codes; nothing is made."""
    before = len(state.images)
    with pytest.raises(FakeError) as caught:
        call(state, "RegisterImage", params)
    assert code == caught.value.code
    assert before == len(state.images)


def test_an_accounts_image_names_are_unique(state: EC2State) -> None:
    """Registering a second image of the same name answers InvalidAMIName.Duplicate."""
    first = register(state)
    with pytest.raises(FakeError) as caught:
        register(state)
    assert "InvalidAMIName.Duplicate" == caught.value.code
    assert first in caught.value.message
    # Amazon's image names do not count: the caller owns none of them.
    register(state, "fedora-core4-base")
